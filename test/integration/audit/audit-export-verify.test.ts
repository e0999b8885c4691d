import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { AuditEvent } from '../../../src/audit/audit-event.js';
import { reanchorEvent } from '../../../src/audit/reanchor-event.js';
import { RedisKeys } from '../../../src/store/redis-keys.js';
import { Transactor } from '../../../src/store/transactor.js';
import { createLdapSubtree, type LdapSubtree } from '../../rig/ldap-subtree.js';
import { appendDateDefectEvent } from '../../support/audit-rig.js';
import { apiClient, eventually, slapdTarget, startTestService, type TestService } from '../../support/service-harness.js';
import { useSlapdService } from '../../support/slapd-service.js';

describe('a filtered export of the audit trail', () => {
  const f = useSlapdService('audit-export');
  const mirrorLines = async () => (await readFile(join(f.svc.dir, 'audit.jsonl'), 'utf8')).split('\n').filter(Boolean);
  const redisHead = async () => (JSON.parse((await f.svc.redis.get(`${f.svc.prefix}:audit:head`))!) as { seq: number }).seq;

  it('records its date filter as strings and leaves the chain and the mirror intact', async () => {
    const auditor = f.svc.tokens.auditor;
    const since = '2026-01-01T00:00:00.000Z';
    const until = '2099-12-31T23:59:59.000Z';
    const exported = await f.api<string>('GET', `/v1/audit/export?since=${since}&until=${until}&format=jsonl`, auditor);
    expect(exported.status).toBe(200);

    const items = (await f.api<{ items: AuditEvent[] }>('GET', '/v1/audit?action=audit.exported', auditor)).body.items;
    expect(items[0]!.details).toEqual({ format: 'jsonl', filter: { since, until } });

    const verified = await f.api<Record<string, unknown>>('GET', '/v1/audit/verify', auditor);
    expect(verified.body).toMatchObject({ ok: true });
    const withMirror = await f.api<{ ok: boolean; mirror: Record<string, unknown> }>('GET', '/v1/audit/verify?mirror=true', auditor);
    expect(withMirror.body).toMatchObject({ ok: true, mirror: { ok: true } });
    expect(f.svc.auditMirror.status().halted).toBeNull();

    // Later audited requests keep reaching the mirror, which holds exactly the Redis trail.
    const before = (await mirrorLines()).length;
    const contractEndsAt = new Date(Date.now() + 90 * 86_400_000).toISOString();
    for (let i = 0; i < 3; i++)
      expect((await f.api('POST', '/v1/vendors', f.svc.tokens.requester, { name: `After ${i}`, contractRef: `CT-${i}`, contractEndsAt })).status).toBe(201);
    await eventually(async () => (await mirrorLines()).length >= before + 3 && (await mirrorLines()).length === (await redisHead()));
    expect(await f.svc.redis.lrange(`${f.svc.prefix}:audit:events`, 0, -1)).toEqual(await mirrorLines());
    expect((await f.api('GET', '/v1/audit/verify?mirror=true', auditor)).body).toMatchObject({ ok: true, mirror: { ok: true } });
  });
});

describe('a trail broken by the Date defect, repaired with a signed re-anchor', () => {
  const key = randomBytes(32);
  let subtree: LdapSubtree;
  let svc: TestService;
  let api: ReturnType<typeof apiClient>;
  beforeAll(async () => {
    subtree = await createLdapSubtree('audit-reanchor');
    svc = await startTestService({
      redisUrl: inject('redisUrl'),
      directory: slapdTarget(inject('slapd'), subtree.dn),
      env: { AUDIT_REANCHOR_KEY: key.toString('hex') },
    });
    api = apiClient(svc.url);
  });
  afterAll(async () => {
    await svc?.close();
    await subtree?.cleanup();
  });

  it('verifies intact with re-anchors over the API, mirror included', async () => {
    const auditor = svc.tokens.auditor;
    const keys = new RedisKeys(svc.prefix);
    // What a filtered export wrote before the fix, from another process as far as this service can tell.
    const bad = await appendDateDefectEvent(
      { redis: svc.redis, keys },
      {
        actor: 'auditor',
        action: 'audit.exported',
        subject: 'audit:trail',
        outcome: 'success',
        details: { format: 'jsonl', filter: { since: new Date('2026-01-01T00:00:00Z') } },
      },
    );
    expect((await api('GET', '/v1/audit/verify', auditor)).body).toMatchObject({ ok: false, firstBadSeq: bad.seq, reason: expect.stringMatching(/edited/) });
    await eventually(() => Promise.resolve(svc.auditMirror.status().halted));

    const redis = svc.redis.duplicate();
    try {
      await reanchorEvent(redis, keys, new Transactor(redis, keys, () => new Date()), key, {
        seq: bad.seq,
        reason: 'Date defect, issue 10',
        actor: 'cli:operator@host',
      });
    } finally {
      redis.disconnect();
    }
    const verified = await api<Record<string, unknown>>('GET', '/v1/audit/verify', auditor);
    expect(verified.body).toMatchObject({ ok: true, status: 'intact-with-reanchors', reanchored: [bad.seq] });
    // The mirror's writer picks the re-anchor up on its next poll and copies past the event.
    await eventually(() => Promise.resolve(svc.auditMirror.status().halted === null && (svc.auditMirror.status().lastSeq ?? 0) > bad.seq));
    const withMirror = await api<Record<string, unknown>>('GET', '/v1/audit/verify?mirror=true', auditor);
    expect(withMirror.body).toMatchObject({ ok: true, reanchored: [bad.seq], mirror: { ok: true, reanchored: [bad.seq] } });
  });
});
