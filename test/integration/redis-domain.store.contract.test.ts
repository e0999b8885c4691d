import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { describe, expect, inject, it } from 'vitest';
import type { AuditEvent } from '../../src/audit/audit-event.js';
import { RedisRecordStore } from '../../src/store/redis-record.store.js';
import { RedisDomainStore } from '../../src/store/redis-domain.store.js';
import { RedisKeys } from '../../src/store/redis-keys.js';
import { Transactor } from '../../src/store/transactor.js';
import { storeContract } from '../contract/store.contract.js';
import { FakeClock } from '../support/fake-clock.js';
import { seedPerson } from '../support/store-records.js';

/** The contract against the run's redis-server, under a key prefix of each test's own. */
storeContract('Redis', () => {
  const url = inject('redisUrl');
  const keys = new RedisKeys(`store-${randomBytes(5).toString('hex')}`);
  const clock = new FakeClock();
  const connections: Redis[] = [];
  const connect = () => {
    const c = new Redis(url, { maxRetriesPerRequest: 3 });
    connections.push(c);
    return c;
  };
  // As in start-service.ts: the records on one connection, transactions on their own (WATCH is per connection).
  const newProcess = () => new RedisDomainStore(new RedisRecordStore(connect(), keys), new Transactor(connect(), keys, clock.now));
  const admin = connect();
  return Promise.resolve({
    store: newProcess(),
    otherProcess: newProcess,
    auditTrail: async () => (await admin.lrange(keys.auditEvents(), 0, -1)).map((line) => JSON.parse(line) as AuditEvent),
    clock,
    async cleanup() {
      const stale = await admin.keys(`${keys.prefix}:*`);
      if (stale.length) await admin.del(...stale);
      await Promise.all(connections.map((c) => c.quit().catch(() => undefined)));
    },
  });
});

describe('the Redis people index', () => {
  it('finds people saved before the cross-vendor index existed, once, at the first search', async () => {
    const redis = new Redis(inject('redisUrl'), { maxRetriesPerRequest: 3 });
    const keys = new RedisKeys(`store-${randomBytes(5).toString('hex')}`);
    const clock = new FakeClock();
    const store = new RedisDomainStore(new RedisRecordStore(redis, keys), new Transactor(redis.duplicate(), keys, clock.now));
    try {
      const old = await seedPerson(store, clock.now());
      // As a store written before the index: only the per-vendor index names the person.
      await redis.del(keys.peopleIndex());
      const fresh = await seedPerson(store, clock.now());
      expect((await store.searchPeople('ann', undefined, 10)).items.map((p) => p.id)).toEqual([fresh.person.id, old.person.id]);
      expect(await redis.exists(keys.peopleIndexBuilt())).toBe(1);
    } finally {
      const stale = await redis.keys(`${keys.prefix}:*`);
      if (stale.length) await redis.del(...stale);
      await redis.quit();
    }
  });
});
