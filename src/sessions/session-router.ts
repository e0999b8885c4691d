import type { NormalizedEvent } from './session-event.schema.js';
import { spansOverlap } from './session-flags.js';

/** What `ses:live:<account>` remembers of a recent session (one hash field each): enough to route events and spot concurrency. */
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
  /** Concurrency pairings recorded for this session so far (bounded by MAX_PARTNERS). */
  partners?: number;
}

/** Hash field of a live entry: by source session id, or by session id when the source sends none. */
export function liveField(entry: Pick<LiveEntry, 'source' | 'sid' | 'id'>): string {
  return entry.sid ? `${entry.source}\n${entry.sid}` : `${entry.source}\n~${entry.id}`;
}

/** Two sessions of one account alive at once from different addresses (clause 1.6.4). */
export interface ConcurrentPair {
  self: string;
  other: string;
  selfIp: string;
  otherIp: string;
  atMs: number;
}

/** Where each event of a batch goes, decided on the live entries alone. */
export interface Routing {
  /** The events in processing order, and the session of each. */
  order: NormalizedEvent[];
  sessionOf: string[];
  /** Sessions the batch opens: their first event, and the reviewed session they continue. */
  created: Map<string, { first: NormalizedEvent; continues?: string }>;
  /** Per account: the sessions its events went to. */
  touched: Map<string, Set<string>>;
  pairs: ConcurrentPair[];
  /** Per account: live fields to drop (sessions long idle). */
  pruned: Map<string, string[]>;
  /** The live entries after the batch (the input map, updated). */
  live: Map<string, Map<string, LiveEntry>>;
  /** Existing sessions whose records the batch changes. */
  needed: Set<string>;
}

/** Second-precision stamps (RFC 3164) may put an event just before its session's login. */
const STAMP_SLACK_MS = 1000;
/** Partners recorded per session for the concurrency flag: enough to show sharing, bounded under a flood. */
const MAX_PARTNERS = 5;

/**
 * Decides, for a whole batch, which session each event belongs to (DESIGN.md,
 * Session logs). Events with a source session id (sshd pid, bastion session)
 * join that session while they keep within the idle timeout of it; events
 * without one join the account's session on the same source that started
 * most recently before them, except a login, which always opens a new one.
 * Reviewed sessions are never extended: later events open a session that
 * `continues` it. Works on the small live entries only, so that just the
 * records the batch really changes need loading.
 */
export class SessionRouter {
  constructor(private readonly deps: { idleMs: number; mintId: (atMs: number) => string }) {}

  route(events: NormalizedEvent[], live: Map<string, Map<string, LiveEntry>>): Routing {
    // Events that open or name their session go first, so that a sudo line stamped to the second
    // finds the sshd session whose login was stamped a fraction later in the same batch.
    const byTime = [...events].sort((a, b) => a.atMs - b.atMs);
    const opens = (e: NormalizedEvent) => e.sourceSessionId !== undefined || e.type === 'login';
    const order = [...byTime.filter(opens), ...byTime.filter((e) => !opens(e))];
    const r: Routing = { order, sessionOf: [], created: new Map(), touched: new Map(), pairs: [], pruned: new Map(), live, needed: new Set() };

    for (const e of order) {
      let entries = live.get(e.accountKey);
      if (!entries) live.set(e.accountKey, (entries = new Map<string, LiveEntry>()));
      const found = this.find(e, entries);
      let entry = found.entry;
      if (!entry) {
        const id = this.deps.mintId(e.atMs);
        entry = { id, source: e.sourceKey, sid: e.sourceSessionId ?? '', firstMs: e.atMs, lastMs: e.atMs };
        entries.set(liveField(entry), entry);
        r.created.set(id, { first: e, ...(found.continues ? { continues: found.continues } : {}) });
      } else if (!r.created.has(entry.id)) r.needed.add(entry.id);
      entry.firstMs = Math.min(entry.firstMs, e.atMs);
      entry.lastMs = Math.max(entry.lastMs, e.atMs);
      entry.ip ??= e.sourceIp;
      if (e.type === 'logout') entry.endedMs = Math.max(entry.endedMs ?? e.atMs, e.atMs);
      r.sessionOf.push(entry.id);
      let touched = r.touched.get(e.accountKey);
      if (!touched) r.touched.set(e.accountKey, (touched = new Set()));
      touched.add(entry.id);
    }
    for (const [account, ids] of r.touched) {
      this.pair(r, live.get(account)!, ids);
      this.prune(r, account);
    }
    return r;
  }

  private find(e: NormalizedEvent, live: Map<string, LiveEntry>): { entry?: LiveEntry; continues?: string } {
    const { idleMs } = this.deps;
    const within = (c: LiveEntry) => e.atMs >= c.firstMs - idleMs && e.atMs <= c.lastMs + idleMs;
    let best: LiveEntry | undefined;
    if (e.sourceSessionId) {
      const c = live.get(`${e.sourceKey}\n${e.sourceSessionId}`);
      if (c && within(c)) best = c;
    } else if (e.type !== 'login') {
      for (const c of live.values()) {
        if (c.source !== e.sourceKey || !within(c)) continue;
        // A session that logged out takes only events from before its logout (late delivery).
        if (c.endedMs !== undefined && e.atMs > c.endedMs) continue;
        if (!best || closer(e.atMs, c, best)) best = c;
      }
    }
    if (!best) return {};
    return best.reviewed ? { continues: best.id } : { entry: best };
  }

  private pair(r: Routing, entries: Map<string, LiveEntry>, touched: Set<string>): void {
    const withIp = [...entries.values()].filter((x) => x.ip);
    const add = (self: LiveEntry, other: LiveEntry) => {
      // Counted on the live entry, so that a session shared from many addresses is not reloaded by every batch.
      if (self.reviewed || (self.partners ?? 0) >= MAX_PARTNERS) return;
      self.partners = (self.partners ?? 0) + 1;
      r.pairs.push({ self: self.id, other: other.id, selfIp: self.ip!, otherIp: other.ip!, atMs: Math.max(self.firstMs, other.firstMs) });
      if (!r.created.has(self.id)) r.needed.add(self.id);
    };
    for (const a of withIp) {
      if (!touched.has(a.id)) continue;
      for (const b of withIp) {
        if (b.id === a.id || b.ip === a.ip || !spansOverlap(span(a), span(b), this.deps.idleMs)) continue;
        // Each unordered pair once: from its touched side with the smaller id, or its only touched side.
        if (touched.has(b.id) && b.id < a.id) continue;
        add(a, b);
        add(b, a);
      }
    }
  }

  private prune(r: Routing, account: string): void {
    const entries = r.live.get(account)!;
    let newest = 0;
    for (const x of entries.values()) newest = Math.max(newest, x.lastMs);
    const drop: string[] = [];
    for (const [field, x] of entries)
      if ((x.endedMs ?? x.lastMs) + 2 * this.deps.idleMs < newest) {
        drop.push(field);
        entries.delete(field);
      }
    if (drop.length) r.pruned.set(account, drop);
  }
}

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

function span(x: LiveEntry) {
  return { firstMs: x.firstMs, lastMs: x.lastMs, ...(x.endedMs !== undefined ? { endedMs: x.endedMs } : {}) };
}
