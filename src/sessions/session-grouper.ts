import type { AccessRequest } from '../domain/types.js';
import { storedEvent, type NormalizedEvent } from './session-event.schema.js';
import { burstsAt, FAILED_LOGIN_WINDOW_MS, type FlagRules } from './session-flags.js';
import { SessionRouter, type LiveEntry, type Routing } from './session-router.js';
import { compactEvent, type CompactEvent, type FlagCode, type SessionFlag, type SessionRecord } from './session-record.js';

export { liveField, type LiveEntry } from './session-router.js';

/** What the grouping reads from the store besides the live entries. */
export interface GroupingState {
  /** Records of the sessions the routing named as needed. */
  records: Map<string, SessionRecord>;
  /** Per account: the request owning it, or null for an unknown account. */
  requests: Map<string, AccessRequest | null>;
  /** Per account: times of failed logins already stored (for bursts). */
  priorFailures: Map<string, number[]>;
}

/** Everything at once (unit tests): the new events and all stored state. */
export interface GroupingInput extends GroupingState {
  /** New events only (duplicates already removed). */
  events: NormalizedEvent[];
  /** Per account: its live entries by field. Mutated into the new state. */
  live: Map<string, Map<string, LiveEntry>>;
}

/** What the batch changes. */
export interface GroupingPlan {
  /** Every record created or changed (new ones have n = 0 until the store assigns positions). */
  touched: Map<string, SessionRecord>;
  created: Set<string>;
  events: Map<string, CompactEvent[]>;
  /** Live fields to drop per account (sessions long idle). */
  pruned: Map<string, string[]>;
  /** Flags each session gained in this batch. */
  newFlags: Map<string, Set<FlagCode>>;
  failures: Map<string, { id: string; atMs: number }[]>;
  /** The live entries per account after the batch. */
  liveState: Map<string, Map<string, LiveEntry>>;
  /** Sessions whose live entry changed (to write back). */
  liveDirty: Set<string>;
  /** Sessions whose index score or index membership changed (new, newly flagged, newly tied to a request). */
  reindex: Set<string>;
}

/** Distinct findings kept per flag code; the first of every code always gets in. */
const PER_CODE: Partial<Record<FlagCode, number>> = { privileged_command: 50, target_not_approved: 20, concurrent_sessions: 5, outside_window: 2 };
const MAX_LIST = 50;

/**
 * Turns a routed batch into session records and flags (DESIGN.md, Session
 * logs): applies each event to its session, raises the per-event flags, the
 * failed-login bursts of clause 1.6.4's neighbour and the concurrency flags
 * of 1.6.4. A signed-off session is never changed.
 */
export class SessionGrouper {
  readonly router: SessionRouter;

  constructor(private readonly deps: { rules: FlagRules; idleMs: number; failedLoginBurst: number; mintId: (atMs: number) => string; now: () => Date }) {
    this.router = new SessionRouter({ idleMs: deps.idleMs, mintId: deps.mintId });
  }

  /** Routing and grouping in one step, for callers that hold all the state. */
  plan(input: GroupingInput): GroupingPlan {
    return this.finish(this.router.route(input.events, input.live), input);
  }

  finish(routing: Routing, state: GroupingState): GroupingPlan {
    const plan: GroupingPlan = {
      touched: new Map(),
      created: new Set(),
      events: new Map(),
      pruned: routing.pruned,
      newFlags: new Map(),
      failures: new Map(),
      liveState: routing.live,
      liveDirty: new Set([...routing.needed, ...routing.created.keys()]),
      reindex: new Set(),
    };
    const nowIso = this.deps.now().toISOString();
    const remap = new Map<string, string>();
    const sessionOfEvent = new Map<string, string>();

    routing.order.forEach((e, i) => {
      const request = state.requests.get(e.accountKey) ?? null;
      const id = remap.get(routing.sessionOf[i]!) ?? routing.sessionOf[i]!;
      let record = plan.touched.get(id) ?? state.records.get(id);
      const created = routing.created.get(id);
      if (!record && created) {
        record = this.newRecord(id, created.first, request, nowIso, created.continues);
        plan.created.add(id);
        plan.reindex.add(id);
      } else if (!record || record.review) {
        // The live entry missed the review, or names a session no longer in the store (retention archived it): that
        // session stays as it was reviewed, and a new one continues it (never one with the archived session's id).
        const next = this.newRecord(this.deps.mintId(e.atMs), e, request, nowIso, id);
        remap.set(id, next.id);
        this.relink(routing, e.accountKey, id, next.id);
        plan.created.add(next.id);
        plan.reindex.add(next.id);
        plan.liveDirty.add(next.id);
        record = next;
      }
      if (this.apply(record, e, request, nowIso)) plan.reindex.add(record.id);
      plan.touched.set(record.id, record);
      sessionOfEvent.set(e.id, record.id);
      const flags = this.deps.rules.eventFlags(e, request);
      for (const f of flags) this.addFlag(plan, record, f);
      const stored = compactEvent(storedEvent(e), record);
      const list = plan.events.get(record.id) ?? [];
      if (flags.length) stored.flags = [...new Set(flags.map((f) => f.code))];
      list.push(stored);
      plan.events.set(record.id, list);
      if (e.type === 'failed_login') {
        const fails = plan.failures.get(e.accountKey) ?? [];
        fails.push({ id: e.id, atMs: e.atMs });
        plan.failures.set(e.accountKey, fails);
      }
    });

    for (const [account, fresh] of plan.failures) {
      for (const [eventId, count] of burstsAt(state.priorFailures.get(account) ?? [], fresh, this.deps.failedLoginBurst)) {
        const record = plan.touched.get(sessionOfEvent.get(eventId)!)!;
        const at = new Date(fresh.find((f) => f.id === eventId)!.atMs).toISOString();
        this.addFlag(plan, record, {
          code: 'failed_login_burst',
          at,
          eventId,
          key: '',
          detail: `${count} failed logins of ${record.account} within ${FAILED_LOGIN_WINDOW_MS / 60_000} minutes`,
        });
      }
    }
    for (const p of routing.pairs) {
      const self = remap.get(p.self) ?? p.self;
      const other = remap.get(p.other) ?? p.other;
      const record = plan.touched.get(self) ?? state.records.get(self);
      if (!record) continue;
      this.addFlag(plan, record, {
        code: 'concurrent_sessions',
        at: new Date(p.atMs).toISOString(),
        key: other,
        detail: `${record.account} also in session ${other} from ${p.otherIp} while this one is from ${p.selfIp} (possible sharing)`,
      });
    }
    return plan;
  }

  private relink(routing: Routing, account: string, from: string, to: string): void {
    for (const entry of routing.live.get(account)?.values() ?? []) if (entry.id === from) Object.assign(entry, { id: to, reviewed: false });
  }

  private newRecord(id: string, e: NormalizedEvent, request: AccessRequest | null, nowIso: string, continues?: string): SessionRecord {
    return {
      id,
      n: 0,
      account: e.account,
      accountKnown: request !== null,
      ...(request ? { requestId: request.id, personId: request.personId, vendorId: request.vendorId } : {}),
      source: e.source,
      ...(e.sourceSessionId ? { sourceSessionId: e.sourceSessionId } : {}),
      origin: e.origin,
      sourceIps: [],
      targets: [],
      firstAt: e.at,
      lastAt: e.at,
      eventCount: 0,
      flags: [],
      ...(continues ? { continues } : {}),
      createdAt: nowIso,
      updatedAt: nowIso,
    };
  }

  /** Adds an event to its session; true when the session got tied to a request just now. */
  private apply(record: SessionRecord, e: NormalizedEvent, request: AccessRequest | null, nowIso: string): boolean {
    record.eventCount++;
    if (e.atMs < Date.parse(record.firstAt)) record.firstAt = e.at;
    if (e.atMs > Date.parse(record.lastAt)) record.lastAt = e.at;
    if (e.sourceIp && !record.sourceIps.includes(e.sourceIp) && record.sourceIps.length < MAX_LIST) record.sourceIps.push(e.sourceIp);
    const target = e.target?.toLowerCase();
    if (target && !record.targets.some((t) => t.toLowerCase() === target) && record.targets.length < MAX_LIST) record.targets.push(e.target!);
    if (e.type === 'logout' && (!record.endedAt || e.atMs > Date.parse(record.endedAt))) record.endedAt = e.at;
    record.updatedAt = nowIso;
    if (!request || record.requestId) return false;
    Object.assign(record, { accountKnown: true, requestId: request.id, personId: request.personId, vendorId: request.vendorId });
    return true;
  }

  private addFlag(plan: GroupingPlan, record: SessionRecord, flag: SessionFlag): void {
    if (record.review) return; // a signed-off session stays as it was reviewed
    let sameCode = 0;
    for (const f of record.flags) {
      if (f.code !== flag.code) continue;
      if (f.key === flag.key) return;
      sameCode++;
    }
    if (sameCode >= (PER_CODE[flag.code] ?? 1)) return;
    if (record.flags.length === 0) plan.reindex.add(record.id); // the flag boost changes its index score
    record.flags.push(flag);
    plan.touched.set(record.id, record);
    let set = plan.newFlags.get(record.id);
    if (!set) plan.newFlags.set(record.id, (set = new Set()));
    set.add(flag.code);
  }
}
