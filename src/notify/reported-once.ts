import type { Redis } from 'ioredis';

/** What the overdue watch has reported, so that each overdue item is notified once, by whichever worker runs. */
export interface ReportedOnce {
  /** Records `key` as reported at `atMs`; true the first time. */
  mark(key: string, atMs: number): Promise<boolean>;
  /** Forgets what was reported before `ms`: the memory stays bounded, and an item still overdue then is reported again. */
  forgetBefore(ms: number): Promise<void>;
}

/**
 * ReportedOnce over a sorted set scored by the time of the report (it was a
 * set that only grew: one member per overdue session, forever).
 */
export class RedisReportedOnce implements ReportedOnce {
  constructor(
    private readonly redis: Redis,
    private readonly key: string,
    /** The set used before; dropped on the first trim. */
    private readonly legacyKey?: string,
  ) {}

  async mark(key: string, atMs: number): Promise<boolean> {
    return (await this.redis.zadd(this.key, 'NX', atMs, key)) === 1;
  }

  async forgetBefore(ms: number): Promise<void> {
    const m = this.redis.multi().zremrangebyscore(this.key, '-inf', `(${ms}`);
    if (this.legacyKey) m.del(this.legacyKey);
    await m.exec();
  }
}
