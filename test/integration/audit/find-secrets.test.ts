import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, inject, it } from 'vitest';
import { auditRig, type AuditRig } from '../../support/audit-rig.js';
import { findSecrets } from '../../support/find-secrets.js';

describe('the secret finder (for the no-secret-anywhere test)', () => {
  let rig: AuditRig;
  const secret = 'S3cret!Pa55-word"x';
  beforeEach(async () => void (rig = await auditRig(inject('redisUrl'))));
  afterEach(() => rig.close());

  it('finds a secret in every Redis type, in key names, encoded, and in files, naming each place', async () => {
    const k = (name: string) => `${rig.prefix}:${name}`;
    await rig.redis.set(k('string'), `before ${secret} after`);
    await rig.redis.rpush(k('list'), 'clean', JSON.stringify({ password: secret }));
    await rig.redis.hset(k('hash'), 'field', Buffer.from(secret).toString('base64'));
    await rig.redis.sadd(k('set'), `x${Buffer.from(secret).toString('hex')}`);
    await rig.redis.zadd(k('zset'), 1, `m-${secret}`);
    await rig.redis.xadd(k('stream'), '*', 'data', secret);
    await rig.redis.set(k(`named-${secret}`), 'clean');
    await rig.redis.set(k('clean'), 'nothing here');
    const log = join(rig.dir, 'service.log');
    await writeFile(log, `line one\nline two ${secret}\n`);

    const found = await findSecrets({
      secrets: { bindPassword: secret, unused: 'never-stored-anywhere-123' },
      redis: { client: rig.redis, match: `${rig.prefix}:*` },
      files: [log, join(rig.dir, 'absent.log')],
    });
    const places = found.map((f) => `${f.label} ${f.encoding} ${f.where}`);
    expect(places).toEqual(
      expect.arrayContaining([
        `bindPassword plain redis:${k('string')}`,
        `bindPassword json-escaped redis:${k('list')}[1]`,
        `bindPassword base64 redis:${k('hash')}#field`,
        `bindPassword hex redis:${k('set')}{member}`,
        `bindPassword plain redis:${k('zset')}{member}`,
        expect.stringMatching(new RegExp(`^bindPassword plain redis:${k('stream')}@\\d+-\\d+$`)),
        `bindPassword plain redis-key:${k(`named-${secret}`)}`,
        `bindPassword plain file:${log}:2`,
      ]),
    );
    expect(found.some((f) => f.label === 'unused' || f.where.includes(':clean'))).toBe(false);
    expect(JSON.stringify(found)).not.toContain('never-stored');
  });
});
