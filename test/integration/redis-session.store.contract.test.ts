import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { inject } from 'vitest';
import type { AuditEvent } from '../../src/audit/audit-event.js';
import { RedisSessionStore } from '../../src/sessions/redis-session.store.js';
import { RedisDomainStore } from '../../src/store/redis-domain.store.js';
import { RedisKeys } from '../../src/store/redis-keys.js';
import { RedisRecordStore } from '../../src/store/redis-record.store.js';
import { Transactor } from '../../src/store/transactor.js';
import { sessionStoreContract } from '../contract/session-store.contract.js';
import { FakeClock } from '../support/fake-clock.js';

/** The session store contract against the run's redis-server, under a key prefix of each test's own. */
sessionStoreContract('Redis', () => {
  const url = inject('redisUrl');
  const keys = new RedisKeys(`ses-store-${randomBytes(5).toString('hex')}`);
  const clock = new FakeClock();
  const connections: Redis[] = [];
  const connect = () => {
    const c = new Redis(url, { maxRetriesPerRequest: 3 });
    connections.push(c);
    return c;
  };
  // As in start-service.ts: reads on one connection, transactions on their own (WATCH is per connection).
  const newProcess = () => {
    const redis = connect();
    const records = new RedisRecordStore(redis, keys);
    const tx = new Transactor(connect(), keys, clock.now);
    return { domain: new RedisDomainStore(records, tx), sessions: new RedisSessionStore({ redis, records, tx }) };
  };
  const first = newProcess();
  const admin = connect();
  return Promise.resolve({
    ...first,
    otherProcess: () => newProcess().sessions,
    auditTrail: async () => (await admin.lrange(keys.auditEvents(), 0, -1)).map((line) => JSON.parse(line) as AuditEvent),
    clock,
    async cleanup() {
      const stale = await admin.keys(`${keys.prefix}:*`);
      if (stale.length) await admin.del(...stale);
      await Promise.all(connections.map((c) => c.quit().catch(() => undefined)));
    },
  });
});
