import type { Redis } from 'ioredis';

// Take the lease if free, renew it if ours, else leave it: one round trip, atomic.
const ACQUIRE_OR_RENEW = `
local holder = redis.call('GET', KEYS[1])
if holder == ARGV[1] then redis.call('PEXPIRE', KEYS[1], ARGV[2]) return 1 end
if not holder then redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2]) return 1 end
return 0`;

const RELEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;

/**
 * A time-limited exclusive role shared through Redis: whoever holds the key
 * holds the role until it stops renewing it. A holder that stalls longer
 * than `ttlMs` loses it to another process, so callers renew before each
 * piece of work and re-check their own state afterwards.
 */
export class RedisLease {
  constructor(
    private readonly redis: Redis,
    readonly key: string,
    readonly owner: string,
    private readonly ttlMs: number,
  ) {}

  /** Takes or renews the lease; true while this owner holds it. */
  async acquire(): Promise<boolean> {
    return (await this.redis.eval(ACQUIRE_OR_RENEW, 1, this.key, this.owner, String(this.ttlMs))) === 1;
  }

  /** Gives the lease up at once (on shutdown) so another process need not wait for it to expire. */
  async release(): Promise<void> {
    await this.redis.eval(RELEASE, 1, this.key, this.owner);
  }
}
