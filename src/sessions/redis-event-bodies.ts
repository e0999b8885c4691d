import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { RedisKeys } from '../store/redis-keys.js';
import { UnreadableChunk, type EventBodies, type EventChunk } from './event-bodies.js';

/**
 * Session event bodies in a second Redis (SESSION_REDIS_URL), under the same
 * prefix: `ses:evb:<session>` is a hash with one field per chunk (a JSON
 * array of the session's events from one batch). A hash rather than the
 * control plane's list: a chunk whose commit failed must not be read, and a
 * field nothing references never is. A reference is `r<field>`; fields are
 * unique per process (random writer part, counter).
 */
export class RedisEventBodies implements EventBodies {
  readonly kind = 'redis';
  private readonly writer = randomBytes(6).toString('base64url');
  private counter = 0;

  constructor(
    private readonly redis: Redis,
    private readonly keys: RedisKeys,
  ) {}

  private key(sessionId: string): string {
    return this.keys.sessions('evb', sessionId);
  }

  async put(chunks: EventChunk[]): Promise<string[]> {
    const p = this.redis.pipeline();
    const refs = chunks.map((c) => {
      const field = `${this.writer}${(this.counter++).toString(36)}`;
      p.hset(this.key(c.sessionId), field, c.json);
      return `r${field}`;
    });
    const replies = (await p.exec()) ?? [];
    const failed = replies.find(([err]) => err);
    if (failed) throw failed[0] as Error;
    return refs;
  }

  async get(sessionId: string, refs: string[]): Promise<string[]> {
    if (refs.length === 0) return [];
    const fields = refs.map((ref) => {
      if (!ref.startsWith('r'))
        throw new UnreadableChunk(`session ${sessionId}: events referenced as ${JSON.stringify(ref.slice(0, 40))} are not in SESSION_REDIS_URL`);
      return ref.slice(1);
    });
    const values = await this.redis.hmget(this.key(sessionId), ...fields);
    return values.map((v, i) => {
      if (v === null) throw new Error(`session ${sessionId}: events ${refs[i]} are missing from SESSION_REDIS_URL`);
      return v;
    });
  }

  async drop(sessionId: string): Promise<void> {
    await this.redis.del(this.key(sessionId));
  }

  async close(): Promise<void> {
    await this.redis.quit().catch(() => undefined);
  }
}
