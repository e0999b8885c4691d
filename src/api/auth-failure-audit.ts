import type { Redis } from 'ioredis';
import { errorMessage } from '../errors.js';
import type { AuditInput } from '../audit/audit-event.js';
import type { Logger } from '../logger.js';
import type { RedisKeys } from '../store/redis-keys.js';
import type { Transactor } from '../store/transactor.js';

const MINUTE_MS = 60_000;
/** A minute's counters outlive it long enough for any process's flush to see them. */
const TTL_SECONDS = 15 * 60;
/** After a minute ends, how long to wait for requests still in flight on other processes before flushing it. */
const GRACE_MS = 2_000;

/**
 * Counts one failure of `address` in the minute `KEYS[1]` stands for.
 * The first failure of the minute is marked reported at once (the caller
 * audits it); the second puts the minute on the pending index so that some
 * process flushes the rest. Returns the count so far.
 */
const COUNT_SCRIPT = `
local n = redis.call('HINCRBY', KEYS[1], 'n', 1)
if n == 1 then
  redis.call('HSET', KEYS[1], 'reported', 1)
  redis.call('EXPIRE', KEYS[1], ARGV[1])
elseif n == 2 then
  redis.call('ZADD', KEYS[2], ARGV[2], ARGV[3])
end
return n`;

/** Where a failure came from and what it asked for. */
export interface AuthFailure {
  ip: string;
  method: string;
  path: string;
  requestId: string;
}

export interface AuthFailureDeps {
  redis: Redis;
  keys: RedisKeys;
  /** Appends the aggregate event and marks its count reported, in one transaction. */
  tx: Transactor;
  /** Records a single event (the first failure of an address in a minute). */
  audit: (event: AuditInput) => Promise<void>;
  logger: Logger;
  now: () => Date;
  /** How often ended minutes are flushed. */
  flushIntervalMs?: number;
}

type CountingRedis = Redis & { leaseholdAuthFailure(hash: string, pending: string, ttl: number, score: number, member: string): Promise<number> };

/**
 * Audits failed authentication without letting a flood of bad tokens flood
 * the audit trail: at most one `auth.failed` event per client address per
 * minute as it happens (the first failure, at once), and one more for the
 * rest of that minute carrying their count, written once the minute is over
 * (a timer in every API process; whichever gets there first writes it) or
 * at shutdown. The counters live in Redis, so several API processes count
 * together; marking a count reported and appending its event happen in one
 * transaction, so no count is written twice or lost when processes race.
 */
export class AuthFailureAudit {
  private readonly redis: CountingRedis;
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> = Promise.resolve();

  constructor(private readonly deps: AuthFailureDeps) {
    deps.redis.defineCommand('leaseholdAuthFailure', { numberOfKeys: 2, lua: COUNT_SCRIPT });
    this.redis = deps.redis as CountingRedis;
  }

  private root(): string {
    return `${this.deps.keys.prefix}:authfail`;
  }
  private hashKey(minute: number, ip: string): string {
    return `${this.root()}:${minute}:${ip}`;
  }
  private pendingKey(): string {
    return `${this.root()}:pending`;
  }

  /** Counts a failure; audits it at once when it is the address's first in this minute. */
  async failed(f: AuthFailure): Promise<void> {
    const minute = Math.floor(this.deps.now().getTime() / MINUTE_MS);
    const hash = this.hashKey(minute, f.ip);
    const n = await this.redis.leaseholdAuthFailure(hash, this.pendingKey(), TTL_SECONDS, minute, `${minute}|${f.ip}`);
    if (n !== 1) return;
    try {
      await this.deps.audit(this.event(f.ip, minute, 1, { method: f.method, path: f.path, requestId: f.requestId }));
    } catch (err) {
      // Not written: hand the failure back to the counter so that the flush reports it.
      await this.redis.hincrby(hash, 'reported', -1).catch(() => undefined);
      await this.redis.zadd(this.pendingKey(), minute, `${minute}|${f.ip}`).catch(() => undefined);
      throw err;
    }
  }

  /** Flushes ended minutes every `flushIntervalMs`. */
  start(): void {
    this.timer = setInterval(() => void this.flush(false), this.deps.flushIntervalMs ?? 5_000);
    this.timer.unref();
  }

  /** Stops the timer and reports every count not yet reported, the current minute's too. */
  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.flush(true);
  }

  /**
   * Writes one event per pending address-minute with the failures not yet
   * reported. Ended minutes leave the pending index; with `all`, the
   * current minute is reported too but stays pending, since other processes
   * may still count into it.
   */
  flush(all: boolean): Promise<void> {
    this.flushing = this.flushing
      .then(() => this.flushOnce(all))
      .catch((err: unknown) => {
        this.deps.logger.warn('flushing auth failure counts failed; will retry', { error: errorMessage(err) });
      });
    return this.flushing;
  }

  private async flushOnce(all: boolean): Promise<void> {
    const ended = Math.floor((this.deps.now().getTime() - GRACE_MS) / MINUTE_MS) - 1;
    const members = await this.deps.redis.zrangebyscore(this.pendingKey(), '-inf', all ? '+inf' : ended);
    for (const member of members) {
      const bar = member.indexOf('|');
      const minute = Number(member.slice(0, bar));
      const ip = member.slice(bar + 1);
      const over = minute <= ended;
      const hash = this.hashKey(minute, ip);
      await this.deps.tx.run([hash], async (redis) => {
        const [n, reported] = (await redis.hmget(hash, 'n', 'reported')).map(Number);
        const rest = (n ?? 0) - (reported ?? 0);
        return {
          writes: (multi) => {
            if (rest > 0) multi.hset(hash, 'reported', n!);
            if (over) multi.zrem(this.pendingKey(), member);
          },
          events: rest > 0 ? [this.event(ip, minute, rest)] : [],
          result: undefined,
        };
      });
    }
  }

  private event(ip: string, minute: number, count: number, first?: Record<string, string>): AuditInput {
    const window = { from: new Date(minute * MINUTE_MS).toISOString(), to: new Date((minute + 1) * MINUTE_MS).toISOString() };
    return {
      actor: 'anonymous',
      action: 'auth.failed',
      subject: `ip:${ip}`,
      outcome: 'refused',
      details: { ip, count, window, ...(first ? { first: true, ...first } : { first: false }) },
    };
  }
}
