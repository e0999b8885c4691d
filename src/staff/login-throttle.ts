import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { RedisKeys } from '../store/redis-keys.js';
import { sha256Hex } from '../tokens/machine-token.js';

export interface LoginThrottleOptions {
  redis: Redis;
  keys: RedisKeys;
  now: () => Date;
  /** Failures allowed in the window; one more is refused before the directory is asked. Default 5. */
  maxFailures?: number;
  /** Default 15 minutes. */
  windowMs?: number;
}

/**
 * Failed sign-ins per login name and client address over a sliding window
 * (a sorted set of failure instants in Redis, shared by every API process):
 * a sixth try within 15 minutes is refused without asking the directory, so
 * that nobody can guess a password (or lock an account out) from one
 * address at directory speed. The key is a hash: the set names neither.
 */
export class LoginThrottle {
  private readonly max: number;
  private readonly windowMs: number;

  constructor(private readonly options: LoginThrottleOptions) {
    this.max = options.maxFailures ?? 5;
    this.windowMs = options.windowMs ?? 15 * 60_000;
  }

  private key(login: string, ip: string): string {
    const id = sha256Hex(`${login.toLowerCase()}\u0000${ip}`);
    return this.options.keys.staff('login-failures', id);
  }

  /** Whether `login` from `ip` has used up its failures. */
  async blocked(login: string, ip: string): Promise<boolean> {
    const now = this.options.now().getTime();
    const key = this.key(login, ip);
    const [, count] =
      (await this.options.redis
        .multi()
        .zremrangebyscore(key, '-inf', now - this.windowMs)
        .zcard(key)
        .exec()) ?? [];
    return Number(count?.[1] ?? 0) >= this.max;
  }

  /** Counts one failure. */
  async failed(login: string, ip: string): Promise<void> {
    const now = this.options.now().getTime();
    const key = this.key(login, ip);
    await this.options.redis
      .multi()
      .zadd(key, now, `${now}-${randomBytes(4).toString('hex')}`)
      .pexpire(key, this.windowMs)
      .exec();
  }

  /** Forgets the failures after a successful sign-in. */
  async succeeded(login: string, ip: string): Promise<void> {
    await this.options.redis.del(this.key(login, ip));
  }
}
