import { Redis } from 'ioredis';
import { describe, expect, inject, it } from 'vitest';
import { adminConnection } from '../rig/ldap-subtree.js';

describe('the integration rig', () => {
  it('provides a redis-server that answers PING and evicts nothing', async () => {
    const redis = new Redis(inject('redisUrl'), { lazyConnect: true, maxRetriesPerRequest: 1 });
    try {
      await redis.connect();
      expect(await redis.ping()).toBe('PONG');
      expect(await redis.config('GET', 'maxmemory-policy')).toEqual(['maxmemory-policy', 'noeviction']);
    } finally {
      redis.disconnect();
    }
  });

  it('provides a slapd with the seeded tree, reachable over verified LDAPS', async () => {
    const slapd = inject('slapd');
    const admin = adminConnection(slapd);
    try {
      const groups = await admin.search(slapd.groupsOu, { scope: 'one', attributes: ['cn'] });
      expect(groups.map((g) => g.cn)).toEqual(expect.arrayContaining(['wheel', 'sudo', 'dba-team', 'erp-support', 'root-group', 'vendors']));
      expect(await admin.search(slapd.vendorsOu, { scope: 'base', attributes: ['1.1'] })).toHaveLength(1);
    } finally {
      await admin.close();
    }
  });
});
