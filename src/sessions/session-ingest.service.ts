import type { ChainableCommander, Redis } from 'ioredis';
import type { AuditInput } from '../audit/audit-event.js';
import { newId } from '../domain/ids.js';
import type { RedisKeys } from '../store/redis-keys.js';
import type { Transactor } from '../store/transactor.js';
import { SEEN_ADD } from './dedupe-scripts.js';
import type { NormalizedEvent } from './session-event.schema.js';
import { FAILED_LOGIN_WINDOW_MS, FlagRules } from './session-flags.js';
import { SessionGrouper, type GroupingPlan } from './session-grouper.js';
import { SessionStateReader } from './session-state.reader.js';
import { DEDUPE_TTL_SECONDS, HOUR_MS, SessionKeys, sessionScore } from './session-keys.js';
import type { SessionMetrics } from './session-metrics.js';
import { isFlagged, type EventOrigin } from './session-record.js';

/** What a caller learns about a stored batch. */
export interface IngestResult {
  /** Events of the batch now durably stored (new ones and ones a previous try stored). */
  accepted: number;
  duplicates: number;
  sessions: string[];
  /** Ids of the events this call stored (the others were stored before, or repeat one of the batch). */
  stored: ReadonlySet<string>;
}

/**
 * When a batch gets its `sessions.ingested` audit event: `always` (an API
 * call is audited even when it only repeated events), `when-stored` (a
 * machine import: nothing stored, nothing audited), or `never` (the caller
 * audits a summary instead, as the syslog listener does). Flags are audited
 * with the batch that raised them in every case.
 */
export type BatchAudit = 'always' | 'when-stored' | 'never';

/** Who sent a batch, and how it is audited (default `always`). */
export interface IngestMeta {
  origin: EventOrigin;
  actor: string;
  audit?: BatchAudit;
}

export interface SessionPolicy {
  privilegedCommands: readonly string[];
  idleTimeoutMinutes: number;
  failedLoginBurst: number;
  reviewDueDays: number;
}

const LIVE_TTL_SECONDS = 7 * 24 * 3600;
const FAILS_TTL_SECONDS = 24 * 3600;
const MAX_AUDITED_SESSIONS = 200;

/**
 * Stores batches of session events and groups them into sessions, per batch
 * rather than per event: two pipelined reads (SessionStateReader), routing
 * and grouping in memory, and one MULTI/EXEC that writes the events, the
 * sessions, their indexes and the batch's audit event (as `BatchAudit` says;
 * plus one naming newly flagged sessions). Every
 * batch appends to the audit chain, so batches are serialised against each
 * other and against reviews by the Transactor's watch on the chain head; the
 * grouping therefore always sees the state the previous batch left.
 */
export class SessionIngestService {
  private readonly skeys: SessionKeys;
  private readonly grouper: SessionGrouper;
  private readonly reader: SessionStateReader;

  constructor(
    private readonly deps: {
      keys: RedisKeys;
      tx: Transactor;
      policy: SessionPolicy;
      metrics?: SessionMetrics;
      now: () => Date;
    },
  ) {
    this.skeys = new SessionKeys(deps.keys);
    this.reader = new SessionStateReader(deps.keys);
    this.grouper = new SessionGrouper({
      rules: new FlagRules(deps.policy.privilegedCommands),
      idleMs: deps.policy.idleTimeoutMinutes * 60_000,
      failedLoginBurst: deps.policy.failedLoginBurst,
      mintId: (atMs) => newId('ses', atMs),
      now: deps.now,
    });
  }

  /** Stores `events` (already validated and normalised); resolves once they are durable. */
  async ingest(events: NormalizedEvent[], meta: IngestMeta): Promise<IngestResult> {
    if (events.length === 0) return { accepted: 0, duplicates: 0, sessions: [], stored: new Set() };
    const started = performance.now();
    const unique = [...new Map(events.map((e) => [e.id, e])).values()];
    const result = await this.deps.tx.run([], async (redis) => {
      const first = await this.reader.readFirst(redis, unique);
      const routing = this.grouper.router.route(first.fresh, first.live);
      const second = await this.reader.readSecond(redis, first.accounts, first.requestIds, [...routing.needed], routing.created.size);
      const plan = this.grouper.finish(routing, { records: second.records, requests: second.requests, priorFailures: first.priorFailures });
      await this.assignPositions(redis, plan, second.lastPosition, routing.created.size);
      const duplicates = events.length - first.fresh.length;
      return {
        writes: (m: ChainableCommander) => this.write(m, plan, first.fresh, first.accounts),
        events: this.auditEvents(meta, events.length, duplicates, plan),
        result: { accepted: events.length, duplicates, sessions: [...plan.touched.keys()], plan, stored: new Set(first.fresh.map((e) => e.id)) },
      };
    });
    const m = this.deps.metrics;
    if (m) {
      m.events.inc({ origin: meta.origin, outcome: 'stored' }, result.accepted - result.duplicates);
      if (result.duplicates) m.events.inc({ origin: meta.origin, outcome: 'duplicate' }, result.duplicates);
      for (const codes of result.plan.newFlags.values()) for (const code of codes) m.flags.inc({ code });
      m.ingestSeconds.observe({ origin: meta.origin }, (performance.now() - started) / 1000);
    }
    return { accepted: result.accepted, duplicates: result.duplicates, sessions: result.sessions, stored: result.stored };
  }

  /** New sessions get list positions in the order they were opened (reserved in readSecond; rare extras here). */
  private async assignPositions(redis: Redis, plan: GroupingPlan, lastReserved: number, reserved: number): Promise<void> {
    const numbers: number[] = [];
    for (let k = reserved - 1; k >= 0; k--) numbers.push(lastReserved - k);
    const extra = plan.created.size - reserved;
    if (extra > 0) {
      const last = await redis.incrby(this.skeys.sequence(), extra);
      for (let k = extra - 1; k >= 0; k--) numbers.push(last - k);
    }
    let i = 0;
    for (const id of plan.created) plan.touched.get(id)!.n = numbers[i++]!;
  }

  private write(m: ChainableCommander, plan: GroupingPlan, fresh: NormalizedEvent[], accounts: string[]): void {
    const { skeys } = this;
    const dueMs = this.deps.policy.reviewDueDays * 24 * HOUR_MS;
    const seen = new Map<number, string[]>();
    for (const e of fresh) {
      const b = Math.floor(e.atMs / HOUR_MS);
      const list = seen.get(b);
      if (list) list.push(e.id);
      else seen.set(b, [e.id]);
    }
    for (const [b, ids] of seen) m.eval(SEEN_ADD, 1, skeys.seen(b), ids.join(','), DEDUPE_TTL_SECONDS);

    for (const s of plan.touched.values()) {
      m.set(skeys.record(s.id), JSON.stringify(s));
      if (plan.reindex.has(s.id)) {
        const score = sessionScore(s.n, isFlagged(s));
        m.zadd(skeys.all(), score, s.id).zadd(skeys.byAccount(s.account.toLowerCase()), score, s.id).zadd(skeys.unreviewed(), score, s.id);
        if (s.requestId) m.zadd(skeys.byRequest(s.requestId), score, s.id).zadd(skeys.openOfRequest(s.requestId), score, s.id);
      }
      const events = plan.events.get(s.id);
      if (events?.length) {
        m.zadd(skeys.due(), Date.parse(s.endedAt ?? s.lastAt) + dueMs, s.id);
        // One list element per session per batch (a JSON array of its events, in time order): for Redis a
        // single append instead of one sorted-set insert per event. The query side flattens and sorts.
        m.rpush(skeys.events(s.id), JSON.stringify(events.sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0))));
      }
    }
    for (const a of accounts) {
      const live = this.liveOf(plan, a);
      if (live.length) m.hset(skeys.live(a), ...live);
      const drop = plan.pruned.get(a);
      if (drop?.length) m.hdel(skeys.live(a), ...drop);
      if (live.length || drop?.length) m.expire(skeys.live(a), LIVE_TTL_SECONDS);
    }
    for (const [a, fails] of plan.failures) {
      const newest = Math.max(...fails.map((f) => f.atMs));
      m.zadd(skeys.fails(a), ...fails.flatMap((f) => [f.atMs, f.id]))
        .zremrangebyscore(skeys.fails(a), '-inf', newest - 2 * FAILED_LOGIN_WINDOW_MS)
        .expire(skeys.fails(a), FAILS_TTL_SECONDS);
    }
  }

  /** Field/value pairs of the live entries of an account that this batch touched. */
  private liveOf(plan: GroupingPlan, account: string): string[] {
    const out: string[] = [];
    for (const [field, entry] of plan.liveState.get(account) ?? []) if (plan.liveDirty.has(entry.id)) out.push(field, JSON.stringify(entry));
    return out;
  }

  private auditEvents(meta: IngestMeta, received: number, duplicates: number, plan: GroupingPlan): AuditInput[] {
    const subject = `session-source:${meta.origin}`;
    const unknown = [...plan.touched.values()].filter((s) => !s.accountKnown).length;
    const stored = received - duplicates;
    const audit = meta.audit ?? 'always';
    const events: AuditInput[] = [];
    if (audit === 'always' || (audit === 'when-stored' && stored > 0))
      events.push({
        actor: meta.actor,
        action: 'sessions.ingested',
        subject,
        outcome: 'success',
        details: {
          origin: meta.origin,
          received,
          stored,
          duplicates,
          sessionsOpened: plan.created.size,
          sessionsTouched: plan.touched.size,
          unknownAccountSessions: unknown,
        },
      });
    if (plan.newFlags.size) {
      const flagged = [...plan.newFlags].map(([id, codes]) => {
        const s = plan.touched.get(id)!;
        return { session: id, account: s.account, ...(s.requestId ? { requestId: s.requestId } : {}), flags: [...codes] };
      });
      events.push({
        actor: meta.actor,
        action: 'sessions.flagged',
        subject,
        outcome: 'warning',
        details: {
          sessions: flagged.slice(0, MAX_AUDITED_SESSIONS),
          ...(flagged.length > MAX_AUDITED_SESSIONS ? { more: flagged.length - MAX_AUDITED_SESSIONS } : {}),
        },
      });
    }
    return events;
  }
}
