import { copyFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { childDn } from '../../src/provisioner/ldap/escape.js';
import { createLdapSubtree, type LdapSubtree } from '../rig/ldap-subtree.js';
import { startTestRedis } from '../rig/redis.js';
import { fileRequest, untilStatus, vendorWithPerson } from '../support/fixtures.js';
import { apiClient, startTestService, type DirectoryTarget, slapdTarget } from '../support/service-harness.js';

describe('Redis durability (clause 1.7)', () => {
  let subtree: LdapSubtree;
  let target: DirectoryTarget;
  beforeAll(async () => {
    subtree = await createLdapSubtree('durable');
    const s = inject('slapd');
    target = slapdTarget(s, subtree.dn);
  });
  afterAll(() => subtree?.cleanup());

  it('refuses to start in production on a Redis that persists nothing', async () => {
    await expect(startTestService({ redisUrl: inject('redisUrl'), directory: target, env: { NODE_ENV: 'production' } })).rejects.toThrow(
      /refusing to start.*persists nothing/,
    );
  });

  it('starts in production on a Redis with AOF and noeviction', async () => {
    const redis = await startTestRedis({ appendOnly: true });
    try {
      const svc = await startTestService({ redisUrl: redis.url, directory: target, env: { NODE_ENV: 'production' } });
      expect((await fetch(`${svc.url}/readyz`)).status).toBe(200);
      await svc.close();
    } finally {
      await redis.stop();
    }
  });

  it('restores the whole store, audit trail included, from a backup', async () => {
    const original = await startTestRedis({ appendOnly: true });
    const restoredDir = await mkdtemp(join(tmpdir(), 'leasehold-restore-'));
    const svc = await startTestService({ redisUrl: original.url, directory: target, prefix: 'school' });
    const api = apiClient(svc.url);
    let id: string;
    try {
      const { personId } = await vendorWithPerson(api, svc, 'Backup Co');
      id = await fileRequest(api, svc, personId, childDn('cn', 'erp-support', inject('slapd').groupsOu));
      await untilStatus(api, svc, id, 'active');
      await svc.close();
      // The documented backup (an RDB snapshot, then copy dump.rdb); SAVE is BGSAVE in the foreground.
      const client = new Redis(original.url);
      expect(await client.save()).toBe('OK');
      client.disconnect();
      await copyFile(join(original.dir, 'dump.rdb'), join(restoredDir, 'dump.rdb'));
    } finally {
      await original.stop();
    }

    const restored = await startTestRedis({ dir: restoredDir });
    const again = await startTestService({ redisUrl: restored.url, directory: target, prefix: 'school' });
    try {
      const api2 = apiClient(again.url);
      const r = await api2('GET', `/v1/requests/${id}`, again.tokens.auditor);
      expect(r.body.status).toBe('active');
      expect(r.body.account.state).toBe('active');
      const verify = await api2('GET', '/v1/audit/verify', again.tokens.auditor);
      expect(verify.body.ok).toBe(true);
      expect(verify.body.count).toBeGreaterThan(5);
    } finally {
      await again.close();
      await restored.stop();
      await rm(restoredDir, { recursive: true, force: true });
    }
  });
});
