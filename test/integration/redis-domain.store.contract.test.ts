import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { inject } from 'vitest';
import type { AuditEvent } from '../../src/audit/audit-event.js';
import { RedisRecordStore } from '../../src/store/redis-record.store.js';
import { RedisDomainStore } from '../../src/store/redis-domain.store.js';
import { RedisKeys } from '../../src/store/redis-keys.js';
import { Transactor } from '../../src/store/transactor.js';
import { storeContract } from '../contract/store.contract.js';
import { FakeClock } from '../support/fake-clock.js';

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
