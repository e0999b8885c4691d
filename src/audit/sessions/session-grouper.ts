import type { AccessRequest } from '../../domain/types.js';
import { storedEvent, type NormalizedEvent } from './session-event.schema.js';
import { burstsAt, spansOverlap, type FlagRules } from './session-flags.js';
import type { FlagCode, SessionFlag, SessionRecord, StoredEvent } from './session-record.js';

/** What `ses:live:<account>` remembers of a recent session (one hash field each). */
export interface LiveEntry {
  id: string;
  /** Lower-case source. */
  source: string;
  /** Source session id, '' when the source sends none. */
  sid: string;
  ip?: string;
  firstMs: number;
  lastMs: number;
  endedMs?: number;
  reviewed?: boolean;
}

/** Hash field of a live entry: by source session id, or by session id when the source sends none. */
export function liveField(entry: Pick<LiveEntry, 'source' | 'sid' | 'id'>): string {
  return entry.sid ? `${entry.source}\n${entry.sid}` : `${entry.source}\n~${entry.id}`;
}

/** The state the grouper reads from the store for one batch. */
export interface GroupingInput {
  /** New events only (duplicates already removed). */
  events: NormalizedEvent[];
  /** Per account: its live entries by field. Mutated into the new state. */
  live: Map<string, Map<string, LiveEntry>>;
  /** Records of the live sessions. */
  records: Map<string, SessionRecord>;
  /** Per account: the request owning it, or null for an unknown account. */
  requests: Map<string, AccessRequest | null>;
  /** Per account: times of failed logins already stored (for bursts). */
  priorFailures: Map<string, number[]>;
}

/** What the batch changes. */
export interface GroupingPlan {
  /** Every record created or changed (new ones have n = 0 until the store assigns positions). */
  touched: Map<string, SessionRecord>;
  created: Set<string>;
  events: Map<string, StoredEvent[]>;
  /** Live fields to drop per account (sessions long idle). */
  pruned: Map<string, string[]>;
  /** Flags each session gained in this batch. */
  newFlags: Map<string, Set<FlagCode>>;
  failures: Map<string, { id: string; atMs: number }[]>;
  /** The live entries per account after the batch (the input's map, updated). */
  liveState: Map<string, Map<string, LiveEntry>>;
}

const MAX_FLAGS = 100;
const MAX_LIST = 50;

/**
 * Groups events into sessions and raises flags, in memory, for a whole batch
 * at once (DESIGN.md, Session logs). Events with a source session id (sshd
 * pid, bastion session) join that session while they keep within the idle
 * timeout of it; events without one join the latest open session of the same
 * account on the same source, except a login, which always opens a new one.
 * Reviewed sessions are never changed: later events open a session that
 * `continues` it.
 */
export class SessionGrouper {
  constructor(
    private readonly deps: {
      rules: FlagRules;
      idleMs: number;
      failedLoginBurst: number;
      mintId: (atMs: number) => string;
      now: () => Date;
    },
  ) {}

  plan(input: GroupingInput): GroupingPlan {
    const plan: GroupingPlan = { touched: new Map(), created: new Set(), events: new Map(), pruned: new Map(), newFlags: new Map(), failures: new Map(), liveState: input.live };
    const sessionOfEvent = new Map<string, string>();
    const touchedByAccount = new Map<string, Set<string>>();
    const nowIso = this.deps.now().toISOString();
    // Events that open or name their session go first, so that a sudo line stamped to the second
    // (RFC 3164) finds the sshd session whose login was stamped a fraction later in the same batch.
    const byTime = [...input.events].sort((a, b) => a.atMs - b.atMs);
    const opens = (e: NormalizedEvent) => e.sourceSessionId !== undefined || e.type === 'login';
    const events = [...byTime.filter(opens), ...byTime.filter((e) => !opens(e))];

    for (const e of events) {
      let live = input.live.get(e.accountKey);
      if (!live) input.live.set(e.accountKey, (live = new Map<string, LiveEntry>()));
      const request = input.requests.get(e.accountKey) ?? null;
      const routed = this.route(e, live);
      let record = routed.entry ? (plan.touched.get(routed.entry.id) ?? input.records.get(routed.entry.id)) : undefined;
      let liveEntry = routed.entry;
      let continues = routed.continues;
      if (record?.review) {
        continues = record.id;
        record = undefined;
      }
      if (!record || !liveEntry) {
        const id = this.deps.mintId(e.atMs);
        record = this.newRecord(id, e, request, nowIso, continues);
        liveEntry = { id, source: e.sourceKey, sid: e.sourceSessionId ?? '', firstMs: e.atMs, lastMs: e.atMs };
        live.set(liveField(liveEntry), liveEntry);
        plan.created.add(id);
      }
      this.apply(record, liveEntry, e, request, nowIso);
      plan.touched.set(record.id, record);
      sessionOfEvent.set(e.id, record.id);
      let touched = touchedByAccount.get(e.accountKey);
      if (!touched) touchedByAccount.set(e.accountKey, (touched = new Set()));
      touched.add(record.id);

      const flags = this.deps.rules.eventFlags(e, request);
      for (const f of flags) this.addFlag(plan, record, f);
      const stored = storedEvent(e);
      const list = plan.events.get(record.id) ?? [];
      list.push(flags.length ? { ...stored, flags: [...new Set(flags.map((f) => f.code))] } : stored);
      plan.events.set(record.id, list);
      if (e.type === 'failed_login') {
        const fails = plan.failures.get(e.accountKey) ?? [];
        fails.push({ id: e.id, atMs: e.atMs });
        plan.failures.set(e.accountKey, fails);
      }
    }

    this.flagBursts(plan, input, sessionOfEvent);
    for (const [account, ids] of touchedByAccount) this.flagConcurrency(plan, input, account, ids);
    for (const account of touchedByAccount.keys()) this.prune(plan, input.live.get(account)!, account);
    return plan;
  }

  private route(e: NormalizedEvent, live: Map<string, LiveEntry>): { entry?: LiveEntry; continues?: string } {
    const { idleMs } = this.deps;
    const within = (c: LiveEntry) => e.atMs >= c.firstMs - idleMs && e.atMs <= c.lastMs + idleMs;
    if (e.sourceSessionId) {
      const c = live.get(`${e.sourceKey}\n${e.sourceSessionId}`);
      if (!c || !within(c)) return {};
      return c.reviewed ? { continues: c.id } : { entry: c };
    }
    if (e.type === 'login') return {};
    let best: LiveEntry | undefined;
    for (const c of live.values()) {
      if (c.source !== e.sourceKey || !within(c)) continue;
      // A session that logged out takes only events from before its logout (late delivery).
      if (c.endedMs !== undefined && e.atMs > c.endedMs) continue;
      if (!best || closer(e.atMs, c, best)) best = c;
    }
    if (!best) return {};
    return best.reviewed ? { continues: best.id } : { entry: best };
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

  private apply(record: SessionRecord, entry: LiveEntry, e: NormalizedEvent, request: AccessRequest | null, nowIso: string): void {
    record.eventCount++;
    if (e.atMs < Date.parse(record.firstAt)) record.firstAt = e.at;
    if (e.atMs > Date.parse(record.lastAt)) record.lastAt = e.at;
    if (e.sourceIp && !record.sourceIps.includes(e.sourceIp) && record.sourceIps.length < MAX_LIST) record.sourceIps.push(e.sourceIp);
    if (e.target && !record.targets.some((t) => t.toLowerCase() === e.target!.toLowerCase()) && record.targets.length < MAX_LIST)
      record.targets.push(e.target);
    if (e.type === 'logout' && (!record.endedAt || e.atMs > Date.parse(record.endedAt))) record.endedAt = e.at;
    if (request && !record.requestId) Object.assign(record, { accountKnown: true, requestId: request.id, personId: request.personId, vendorId: request.vendorId });
    record.updatedAt = nowIso;
    entry.firstMs = Math.min(entry.firstMs, e.atMs);
    entry.lastMs = Math.max(entry.lastMs, e.atMs);
    entry.ip ??= e.sourceIp;
    if (e.type === 'logout') entry.endedMs = Math.max(entry.endedMs ?? e.atMs, e.atMs);
  }

  private addFlag(plan: GroupingPlan, record: SessionRecord, flag: SessionFlag): void {
    if (record.review) return; // a signed-off session stays as it was reviewed
    if (record.flags.some((f) => f.code === flag.code && f.key === flag.key)) return;
    const codeSeen = record.flags.some((f) => f.code === flag.code);
    // Bounded, but the first flag of every kind always gets in.
    if (record.flags.length >= MAX_FLAGS && codeSeen) return;
    record.flags.push(flag);
    plan.touched.set(record.id, record);
    let set = plan.newFlags.get(record.id);
    if (!set) plan.newFlags.set(record.id, (set = new Set()));
    set.add(flag.code);
  }

  private flagBursts(plan: GroupingPlan, input: GroupingInput, sessionOfEvent: Map<string, string>): void {
    for (const [account, fresh] of plan.failures) {
      const hits = burstsAt(input.priorFailures.get(account) ?? [], fresh, this.deps.failedLoginBurst);
      for (const [eventId, count] of hits) {
        const record = plan.touched.get(sessionOfEvent.get(eventId)!)!;
        const at = fresh.find((f) => f.id === eventId)!.atMs;
        this.addFlag(plan, record, { code: 'failed_login_burst', at: new Date(at).toISOString(), eventId, key: '', detail: `${count} failed logins of ${record.account} within 5 minutes` });
      }
    }
  }

  /** Clause 1.6.4: one account in sessions from different addresses at the same time is possible sharing. */
  private flagConcurrency(plan: GroupingPlan, input: GroupingInput, account: string, touchedIds: Set<string>): void {
    const entries = [...input.live.get(account)!.values()].filter((x) => x.ip);
    for (const a of entries) {
      if (!touchedIds.has(a.id)) continue;
      for (const b of entries) {
        if (b.id === a.id || b.ip === a.ip || !spansOverlap(toSpan(a), toSpan(b), this.deps.idleMs)) continue;
        for (const [self, other] of [[a, b], [b, a]] as const) {
          const record = plan.touched.get(self.id) ?? input.records.get(self.id);
          if (!record) continue;
          const at = new Date(Math.max(a.firstMs, b.firstMs)).toISOString();
          this.addFlag(plan, record, { code: 'concurrent_sessions', at, key: other.id, detail: `${record.account} also in session ${other.id} from ${other.ip} while this one is from ${self.ip} (possible sharing)` });
        }
      }
    }
  }

  private prune(plan: GroupingPlan, live: Map<string, LiveEntry>, account: string): void {
    let newest = 0;
    for (const x of live.values()) newest = Math.max(newest, x.lastMs);
    const drop: string[] = [];
    for (const [field, x] of live)
      if ((x.endedMs ?? x.lastMs) + 2 * this.deps.idleMs < newest) {
        drop.push(field);
        live.delete(field);
      }
    if (drop.length) plan.pruned.set(account, drop);
  }
}

/** Second-precision stamps (RFC 3164) may put an event just before its session's login. */
const STAMP_SLACK_MS = 1000;

/**
 * Whether `c` is a better home than `best` for an event at `atMs`: the session
 * that started most recently at or before the event; failing that, the one
 * starting soonest after it.
 */
function closer(atMs: number, c: LiveEntry, best: LiveEntry): boolean {
  const cStarted = c.firstMs <= atMs + STAMP_SLACK_MS;
  const bestStarted = best.firstMs <= atMs + STAMP_SLACK_MS;
  if (cStarted !== bestStarted) return cStarted;
  return cStarted ? c.firstMs > best.firstMs : c.firstMs < best.firstMs;
}

function toSpan(x: LiveEntry) {
  return { firstMs: x.firstMs, lastMs: x.lastMs, ...(x.endedMs !== undefined ? { endedMs: x.endedMs } : {}) };
}
