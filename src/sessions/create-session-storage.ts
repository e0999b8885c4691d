import { Redis } from 'ioredis';
import type { Config } from '../config/load-config.js';
import type { Logger } from '../logger.js';
import type { RedisRecordStore } from '../store/redis-record.store.js';
import { redisDurabilityProblems } from '../store/redis-durability.js';
import type { Transactor } from '../store/transactor.js';
import type { EventBodies } from './event-bodies.js';
import { FileEventBodies } from './file-event-bodies.js';
import { RedisEventBodies } from './redis-event-bodies.js';
import { SessionArchive } from './session-archive.js';
import { RedisSessionStore } from './redis-session.store.js';

/** The session store as the configuration says, with what it keeps outside the control-plane Redis. */
export interface SessionStorage {
  store: RedisSessionStore;
  /** Where retention archives reviewed sessions (ARCHIVE_DIR), if anywhere. */
  archive?: SessionArchive;
  /** Where event bodies go: the control plane (the small-site default), files in ARCHIVE_DIR, or SESSION_REDIS_URL. */
  bodies: 'control-plane' | 'file' | 'session-redis';
  close(): Promise<void>;
}

/**
 * Where session event bodies go (docs/sessions.md, Storage): to the second
 * Redis when SESSION_REDIS_URL is set (an explicit choice for sessions, even
 * where ARCHIVE_DIR is set for the audit archive), else to day files under
 * ARCHIVE_DIR when set, else into the control-plane Redis as always.
 * Retention archival needs ARCHIVE_DIR.
 */
export async function createSessionStorage(
  config: Config,
  deps: { redis: Redis; records: RedisRecordStore; tx: Transactor; logger: Logger; now: () => Date },
): Promise<SessionStorage> {
  const { env } = config;
  const archive = env.ARCHIVE_DIR ? new SessionArchive(env.ARCHIVE_DIR) : undefined;
  let bodies: EventBodies | undefined;
  if (env.SESSION_REDIS_URL) {
    const second = new Redis(env.SESSION_REDIS_URL, { maxRetriesPerRequest: 3 });
    second.on('error', (err) => deps.logger.warn('session redis connection error', { component: 'session-redis', error: err.message }));
    for (const problem of await redisDurabilityProblems(second))
      deps.logger.warn(`unsafe settings of SESSION_REDIS_URL: ${problem}`, { component: 'session-redis' });
    bodies = new RedisEventBodies(second, deps.records.keys);
  } else if (env.ARCHIVE_DIR) {
    bodies = new FileEventBodies(env.ARCHIVE_DIR, deps.now);
  }
  const store = new RedisSessionStore({ redis: deps.redis, records: deps.records, tx: deps.tx, bodies, archive });
  return {
    store,
    archive,
    bodies: bodies?.kind === 'redis' ? 'session-redis' : bodies ? 'file' : 'control-plane',
    close: async () => bodies?.close(),
  };
}
