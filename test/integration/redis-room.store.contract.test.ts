import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { inject } from 'vitest';
import type { AuditEvent } from '../../src/audit/audit-event.js';
import { RedisRoomStore } from '../../src/rooms/redis-room.store.js';
import { RedisKeys } from '../../src/store/redis-keys.js';
import { Transactor } from '../../src/store/transactor.js';
import { roomStoreContract } from '../contract/room-store.contract.js';
import { FakeClock } from '../support/fake-clock.js';

/** The room store contract against the run's redis-server, under a key prefix of each test's own. */
roomStoreContract('Redis', () => {
  const url = inject('redisUrl');
  const keys = new RedisKeys(`room-store-${randomBytes(5).toString('hex')}`);
  const clock = new FakeClock();
  // As in start-service.ts: reads on one connection, transactions on their own (WATCH is per connection).
  const [redis, txRedis, admin] = [0, 1, 2].map(() => new Redis(url, { maxRetriesPerRequest: 3 })) as [Redis, Redis, Redis];
  return Promise.resolve({
    rooms: new RedisRoomStore({ redis, keys, tx: new Transactor(txRedis, keys, clock.now) }),
    auditTrail: async () => (await admin.lrange(keys.auditEvents(), 0, -1)).map((line) => JSON.parse(line) as AuditEvent),
    async cleanup() {
      const stale = await admin.keys(`${keys.prefix}:*`);
      if (stale.length) await admin.del(...stale);
      await Promise.all([redis, txRedis, admin].map((c) => c.quit().catch(() => undefined)));
    },
  });
});
