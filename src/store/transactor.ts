import type { ChainableCommander, Redis } from 'ioredis';
import { chainEvents, GENESIS_HASH, type AuditEvent, type AuditInput } from '../audit/audit-event.js';
import type { RedisKeys } from './redis-keys.js';

/** What a transaction body decides after reading: the writes, their audit events, and a result. */
export interface TxPlan<T> {
  writes?: (multi: ChainableCommander) => void;
  events: AuditInput[];
  result: T;
}

export type AuditListener = (events: AuditEvent[]) => void;

const MAX_ATTEMPTS = 50;

/**
 * Runs state transitions atomically together with their audit events.
 *
 * A body reads what it needs (the keys it names are WATCHed together with the
 * audit head), decides, and returns writes plus events; both go into one
 * MULTI/EXEC. If anything watched changed meanwhile — another process wrote
 * the record or appended to the audit chain — EXEC fails and the body runs
 * again on fresh data. Appends are therefore serialised across processes and
 * the hash chain never forks. Within one process transactions are queued, so
 * optimistic retries only happen between processes.
 */
export class Transactor {
  private tail: Promise<unknown> = Promise.resolve();
  private readonly listeners: AuditListener[] = [];

  constructor(
    private readonly redis: Redis,
    private readonly keys: RedisKeys,
    private readonly now: () => Date,
  ) {}

  /** Called after each successful commit with the events it appended (the file mirror listens). */
  onCommit(listener: AuditListener): void {
    this.listeners.push(listener);
  }

  run<T>(watch: string[], body: (redis: Redis) => Promise<TxPlan<T>>): Promise<T> {
    const next = this.tail.then(() => this.attempt(watch, body));
    this.tail = next.catch(() => undefined);
    return next;
  }

  private async attempt<T>(watch: string[], body: (redis: Redis) => Promise<TxPlan<T>>): Promise<T> {
    const headKey = this.keys.auditHead();
    for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
      await this.redis.watch(headKey, ...watch);
      let plan: TxPlan<T>;
      let head: { seq: number; hash: string };
      try {
        plan = await body(this.redis);
        const rawHead = await this.redis.get(headKey);
        head = rawHead ? (JSON.parse(rawHead) as { seq: number; hash: string }) : { seq: 0, hash: GENESIS_HASH };
      } catch (err) {
        await this.redis.unwatch();
        throw err;
      }
      const events = chainEvents(head, plan.events, this.now());
      const multi = this.redis.multi();
      plan.writes?.(multi);
      if (events.length > 0) {
        multi.rpush(this.keys.auditEvents(), ...events.map((e) => JSON.stringify(e)));
        const last = events[events.length - 1]!;
        multi.set(headKey, JSON.stringify({ seq: last.seq, hash: last.hash }));
      }
      const result = await multi.exec();
      if (result === null) continue; // a watched key changed: read again
      const failed = result.find(([err]) => err);
      if (failed) throw failed[0] as Error;
      if (events.length > 0) for (const listener of this.listeners) listener(events);
      return plan.result;
    }
    throw new Error(`transaction did not settle after ${MAX_ATTEMPTS} attempts`);
  }
}
