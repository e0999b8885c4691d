import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, inject } from 'vitest';
import type { AuditEvent } from '../../src/audit/audit-event.js';
import type { EventBodies } from '../../src/sessions/event-bodies.js';
import { FileEventBodies } from '../../src/sessions/file-event-bodies.js';
import { RedisEventBodies } from '../../src/sessions/redis-event-bodies.js';
import { RedisSessionStore } from '../../src/sessions/redis-session.store.js';
import { SessionArchive } from '../../src/sessions/session-archive.js';
import { RedisDomainStore } from '../../src/store/redis-domain.store.js';
import { RedisKeys } from '../../src/store/redis-keys.js';
import { RedisRecordStore } from '../../src/store/redis-record.store.js';
import { Transactor } from '../../src/store/transactor.js';
import { sessionStoreContract, type SessionStoreContractContext } from '../contract/session-store.contract.js';
import { startTestRedis, type TestRedis } from '../rig/redis.js';
import { FakeClock } from '../support/fake-clock.js';

/**
 * The session store over the run's redis-server, under a key prefix of each
 * test's own, with its event bodies where `bodiesFor` puts them (none: in the
 * control-plane Redis).
 */
function redisContext(bodiesFor?: (keys: RedisKeys, clock: FakeClock) => Promise<{ bodies: EventBodies; cleanup(): Promise<void> }>) {
  return async (): Promise<SessionStoreContractContext> => {
    const url = inject('redisUrl');
    const keys = new RedisKeys(`ses-store-${randomBytes(5).toString('hex')}`);
    const clock = new FakeClock();
    const connections: Redis[] = [];
    const connect = () => {
      const c = new Redis(url, { maxRetriesPerRequest: 3 });
      connections.push(c);
      return c;
    };
    const outside = await bodiesFor?.(keys, clock);
    const archiveDir = await mkdtemp(join(tmpdir(), 'leasehold-archive-'));
    const archive = new SessionArchive(archiveDir);
    // As in start-service.ts: reads on one connection, transactions on their own (WATCH is per connection).
    const newProcess = () => {
      const redis = connect();
      const records = new RedisRecordStore(redis, keys);
      const tx = new Transactor(connect(), keys, clock.now);
      return { domain: new RedisDomainStore(records, tx), sessions: new RedisSessionStore({ redis, records, tx, bodies: outside?.bodies, archive }) };
    };
    const first = newProcess();
    const admin = connect();
    return {
      ...first,
      otherProcess: () => newProcess().sessions,
      auditTrail: async () => (await admin.lrange(keys.auditEvents(), 0, -1)).map((line) => JSON.parse(line) as AuditEvent),
      clock,
      archive,
      archiveDir,
      async cleanup() {
        const stale = await admin.keys(`${keys.prefix}:*`);
        if (stale.length) await admin.del(...stale);
        await outside?.cleanup();
        await rm(archiveDir, { recursive: true, force: true });
        await Promise.all(connections.map((c) => c.quit().catch(() => undefined)));
      },
    };
  };
}

sessionStoreContract('Redis', redisContext());

sessionStoreContract(
  'Redis, event bodies in ARCHIVE_DIR files',
  redisContext(async (_keys, clock) => {
    const dir = await mkdtemp(join(tmpdir(), 'leasehold-archive-'));
    const bodies = new FileEventBodies(dir, clock.now);
    return { bodies, cleanup: async () => (await bodies.close(), await rm(dir, { recursive: true, force: true })) };
  }),
);

let second: TestRedis | undefined;
beforeAll(async () => {
  second = await startTestRedis();
});
afterAll(async () => {
  await second?.stop();
});
sessionStoreContract(
  'Redis, event bodies in SESSION_REDIS_URL',
  redisContext((keys) => {
    const redis = new Redis(second!.url, { maxRetriesPerRequest: 3 });
    return Promise.resolve({ bodies: new RedisEventBodies(redis, keys), cleanup: () => redis.quit().then(() => undefined) });
  }),
);
