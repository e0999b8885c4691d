import type { ChainableCommander, Redis } from 'ioredis';
import { chainEvents, GENESIS_HASH, normaliseInput, type AuditEvent, type AuditInput } from '../audit/audit-event.js';
import type { AuditLog } from '../domain/ports/audit-log.port.js';
import type { RedisKeys } from './redis-keys.js';

/** What a transaction body decides after reading: the writes, their audit events, and a result. */
export interface TxPlan<T> {
  writes?: (multi: ChainableCommander) => void;
  events: AuditInput[];
  result: T;
}

export type AuditListener = (events: AuditEvent[]) => void;

const MAX_ATTEMPTS = 50;
/** Longest random pause after losing a race to another process (it grows by 1 ms per lost attempt). */
const MAX_BACKOFF_MS = 8;
/** Most transactions committed together in one MULTI/EXEC. */
const MAX_GROUP = 64;

interface Pending {
  watch: string[];
  body: (redis: Redis) => Promise<TxPlan<unknown>>;
  resolve: (result: unknown) => void;
  reject: (err: unknown) => void;
}

/**
 * Runs state transitions atomically together with their audit events.
 *
 * A body reads what it needs (the keys it names are WATCHed together with the
 * audit head), decides, and returns writes plus events; both go into one
 * MULTI/EXEC. If anything watched changed meanwhile — another process wrote
 * the record or appended to the audit chain — EXEC fails and the body runs
 * again on fresh data, after a random pause of a few milliseconds so that
 * the loser of a race between busy processes is not starved by the winner. Appends are therefore serialised across processes and
 * the hash chain never forks. Within one process transactions are queued, so
 * optimistic retries only happen between processes.
 *
 * Group commit: every append must follow the previous one, so one process
 * commits one transaction at a time, and under load that queue is the limit
 * (each commit costs four round trips). Transactions waiting in the queue
 * whose watch lists are disjoint therefore commit together — one WATCH of all
 * their keys, their bodies, one EXEC with all their writes and their events
 * chained in queue order — as they would one after another, because none
 * reads what another writes. A transaction that names no keys may read
 * anything, so it always commits alone.
 */
export class Transactor implements AuditLog {
  private readonly queue: Pending[] = [];
  private busy = false;
  private readonly listeners: AuditListener[] = [];
  private replicasShortUntil = 0;

  constructor(
    private readonly redis: Redis,
    private readonly keys: RedisKeys,
    private readonly now: () => Date,
    /**
     * With a replica behind Sentinel: each commit waits (WAIT) until this many replicas hold it, at most timeoutMs,
     * so that an approval, a revocation or an audit event the caller was told about survives a failover.
     * `onShort` hears of a commit that no replica confirmed in time (it stands on the primary alone).
     */
    private readonly replication?: { replicas: number; timeoutMs: number; onShort?: (acked: number) => void },
  ) {}

  /** Called after each successful commit with the events it appended (the file mirror listens). */
  onCommit(listener: AuditListener): void {
    this.listeners.push(listener);
  }

  /**
   * Appends audit events with no state change (refusals, warnings, findings),
   * chained after everything committed before; nothing for none. It reads no
   * key, so it commits alone, in queue order.
   */
  async append(...events: AuditInput[]): Promise<void> {
    if (events.length === 0) return;
    await this.run([], () => Promise.resolve({ events, result: undefined }));
  }

  run<T>(watch: string[], body: (redis: Redis) => Promise<TxPlan<T>>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ watch, body, resolve: resolve as (result: unknown) => void, reject });
      this.pump();
    });
  }

  private pump(): void {
    if (this.busy || this.queue.length === 0) return;
    this.busy = true;
    const group = this.nextGroup();
    void this.commit(group)
      .catch((err: unknown) => group.forEach((p) => p.reject(err)))
      .finally(() => {
        this.busy = false;
        this.pump();
      });
  }

  /** The head of the queue and, in order, the transactions after it that name keys none of the group names. */
  private nextGroup(): Pending[] {
    const first = this.queue.shift()!;
    const group = [first];
    if (first.watch.length === 0) return group;
    const keys = new Set(first.watch);
    for (let next = this.queue[0]; next && group.length < MAX_GROUP; next = this.queue[0]) {
      if (next.watch.length === 0 || next.watch.some((k) => keys.has(k))) break;
      for (const k of next.watch) keys.add(k);
      group.push(this.queue.shift()!);
    }
    return group;
  }

  private async commit(group: Pending[]): Promise<void> {
    const headKey = this.keys.auditHead();
    let live = group;
    for (let attempt = 1; attempt <= MAX_ATTEMPTS && live.length > 0; attempt++) {
      let head: { seq: number; hash: string };
      let settled: PromiseSettledResult<TxPlan<unknown>>[];
      try {
        await this.redis.watch(headKey, ...new Set(live.flatMap((p) => p.watch)));
        const [raw, bodies] = await Promise.all([this.redis.get(headKey), Promise.allSettled(live.map(async (p) => p.body(this.redis)))]);
        head = raw ? (JSON.parse(raw) as { seq: number; hash: string }) : { seq: 0, hash: GENESIS_HASH };
        settled = bodies;
      } catch (err) {
        await this.redis.unwatch().catch(() => undefined);
        for (const p of live) p.reject(err);
        return;
      }
      const planned: { p: Pending; plan: TxPlan<unknown> }[] = [];
      settled.forEach((s, i) => (s.status === 'fulfilled' ? planned.push({ p: live[i]!, plan: s.value }) : live[i]!.reject(s.reason)));
      const multi = this.redis.multi();
      const base = multi.length;
      const ranges: [number, number][] = [];
      let brokenBy: unknown;
      const broken = planned.findIndex(({ plan }) => {
        const from = multi.length - base;
        try {
          // Checked before anything is queued: an event that cannot be stored exactly as hashed fails its own transaction.
          plan.events = plan.events.map(normaliseInput);
        } catch (err) {
          brokenBy = err;
          return true;
        }
        try {
          plan.writes?.(multi);
        } catch {
          brokenBy = new Error('transaction writes failed to queue');
          return true;
        }
        ranges.push([from, multi.length - base]);
        return false;
      });
      if (broken >= 0 || planned.length === 0) {
        // A writes() or an event that throws fails its own transaction; the others try again without it. Nothing was sent.
        if (broken >= 0) planned[broken]!.p.reject(brokenBy);
        live = planned.filter((_, i) => i !== broken).map((x) => x.p);
        if (live.length === 0) await this.redis.unwatch().catch(() => undefined);
        continue;
      }
      const events = chainEvents(
        head,
        planned.flatMap((x) => x.plan.events),
        this.now(),
      );
      if (events.length > 0) {
        multi.rpush(this.keys.auditEvents(), ...events.map((e) => JSON.stringify(e)));
        const last = events[events.length - 1]!;
        multi.set(headKey, JSON.stringify({ seq: last.seq, hash: last.hash }));
      }
      let result: [Error | null, unknown][] | null;
      try {
        result = await multi.exec();
        const appendFailed = result?.slice(ranges.at(-1)![1]).find(([err]) => err);
        if (appendFailed) throw appendFailed[0] as Error;
      } catch (err) {
        for (const { p } of planned) p.reject(err);
        return;
      }
      if (result === null) {
        // A watched key changed: read again. The process that won tends to win the next race too (it hears back
        // first), so without a random pause the loser of a busy pair can lose every time until it gives up.
        live = planned.map((x) => x.p);
        await new Promise((r) => setTimeout(r, Math.random() * Math.min(attempt, MAX_BACKOFF_MS)));
        continue;
      }
      if (this.replication) await this.awaitReplicas(this.replication);
      try {
        if (events.length > 0) for (const listener of this.listeners) listener(events);
      } catch (err) {
        for (const { p } of planned) p.reject(err);
        return;
      }
      planned.forEach(({ p, plan }, i) => {
        const failed = result.slice(...ranges[i]!).find(([err]) => err);
        if (failed) p.reject(failed[0]);
        else p.resolve(plan.result);
      });
      return;
    }
    for (const p of live) p.reject(new Error(`transaction did not settle after ${MAX_ATTEMPTS} attempts`));
  }

  /**
   * The commit itself succeeded; a WAIT that fails or falls short is reported, not thrown (the write stands on the
   * primary). With no replica to wait for (it is down, or was just promoted), waiting protects nothing and would
   * hold every commit for timeoutMs: commits go unwaited for the next 5 s, then WAIT tries again.
   */
  private async awaitReplicas({ replicas, timeoutMs, onShort }: NonNullable<Transactor['replication']>): Promise<void> {
    if (Date.now() < this.replicasShortUntil) return;
    const acked = await this.redis.wait(replicas, timeoutMs).catch(() => 0);
    if (acked >= replicas) return;
    this.replicasShortUntil = Date.now() + 5000;
    onShort?.(acked);
  }
}
