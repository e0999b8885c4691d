import { indexIn, SortedIndex } from '../store/memory/sorted-index.js';
import { advanceMarks, formatMark } from './session-dedupe.js';
import { FAILED_LOGIN_WINDOW_MS } from './session-flags.js';
import { isFlagged, type Incident, type SessionRecord } from './session-record.js';
import { liveField, type LiveEntry } from './session-router.js';
import type { DedupeRead } from './redis-session-writes.js';
import { sessionScore, type SessionRef, type StoredBatch } from './session-store.port.js';

/** A write planned by a decision, applied only when its unit of work commits. */
export type Write = () => void;

/**
 * The session records of the in-memory session store, shared by its peers.
 * Kept as JSON, as Redis keeps them, with indexes that mirror the keys of
 * session-keys.ts one for one, written exactly as redis-session-writes.ts
 * writes them. Keys do not expire here (Redis forgets batch digests after a
 * day, stream marks after 8, live entries after 7, failures after 1): no test
 * lives that long.
 */
export class MemorySessionState {
  readonly records = new Map<string, string>();
  /** Per session: one JSON array of events per batch that added to it. */
  readonly events = new Map<string, string[]>();
  /** Digests of the batches stored (session-dedupe.ts). */
  readonly batches = new Set<string>();
  /** Per account key: stream marks (formatted, as in Redis) by stream field. */
  readonly marks = new Map<string, Map<string, string>>();
  /** Reviewed sessions not archived yet, by last event time. */
  readonly archiveDue = new SortedIndex();
  /** Per account key: live entries (JSON) by field. */
  readonly live = new Map<string, Map<string, string>>();
  /** Per account key: failed login id → time. */
  readonly fails = new Map<string, Map<string, number>>();
  readonly all = new SortedIndex();
  readonly unreviewed = new SortedIndex();
  readonly reviewed = new SortedIndex();
  readonly byRequest = new Map<string, SortedIndex>();
  readonly byAccount = new Map<string, SortedIndex>();
  readonly openOfRequest = new Map<string, SortedIndex>();
  readonly due = new SortedIndex();
  readonly incidents = new Map<string, string>();
  readonly incidentsAll = new SortedIndex();
  readonly incidentsByStatus = new Map<string, SortedIndex>();
  sequence = 0;
  incidentSequence = 0;
  accesslogCursor: string | undefined;
  /** Bumped on every change a lock can see (WATCH in Redis). */
  private readonly versions = new Map<string, number>();

  version(r: SessionRef): number {
    return this.versions.get(`${r.kind}:${r.id}`) ?? 0;
  }

  /** The writes of a batch, serialised now (as a MULTI queues its arguments); `dedupe` is what its first read found. */
  planBatch(batch: StoredBatch, dedupe: DedupeRead): Write {
    const { plan, fresh, accounts, reviewDueMs } = batch;
    const marks = [...advanceMarks(fresh, dedupe.marks)].map(([a, fields]) => ({ a, fields: [...fields].map(([f, m]) => [f, formatMark(m)] as const) }));
    const sessions = [...plan.touched.values()].map((s) => {
      const events = plan.events.get(s.id);
      const sorted = events?.length ? JSON.stringify(events.sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0))) : undefined;
      return { s, json: JSON.stringify(s), reindex: plan.reindex.has(s.id), events: sorted };
    });
    const live = accounts.map((a) => {
      const set = [...(plan.liveState.get(a) ?? [])]
        .filter(([, entry]) => plan.liveDirty.has(entry.id))
        .map(([f, entry]) => [f, JSON.stringify(entry)] as const);
      return { a, set, drop: plan.pruned.get(a) ?? [] };
    });
    const failures = [...plan.failures].map(([a, list]) => ({ a, list: list.map((f) => ({ ...f })) }));
    return () => {
      this.batches.add(dedupe.digest);
      for (const { a, fields } of marks) {
        const entries = this.marks.get(a) ?? new Map<string, string>();
        for (const [field, raw] of fields) entries.set(field, raw);
        this.marks.set(a, entries);
      }
      for (const { s, json, reindex, events } of sessions) {
        this.records.set(s.id, json);
        this.touch('session', s.id);
        if (reindex) {
          const score = sessionScore(s.n, isFlagged(s));
          this.all.add(s.id, score);
          indexIn(this.byAccount, s.account.toLowerCase()).add(s.id, score);
          this.unreviewed.add(s.id, score);
          if (s.requestId) {
            indexIn(this.byRequest, s.requestId).add(s.id, score);
            this.addUnreviewedOf(s.requestId, s.id, score);
          }
        }
        if (events) {
          this.due.add(s.id, Date.parse(s.endedAt ?? s.lastAt) + reviewDueMs);
          const list = this.events.get(s.id) ?? [];
          list.push(events);
          this.events.set(s.id, list);
        }
      }
      for (const { a, set, drop } of live) {
        const entries = this.live.get(a) ?? new Map<string, string>();
        for (const [field, json] of set) entries.set(field, json);
        for (const field of drop) entries.delete(field);
        this.live.set(a, entries);
      }
      for (const { a, list } of failures) {
        const times = this.fails.get(a) ?? new Map<string, number>();
        for (const f of list) times.set(f.id, f.atMs);
        const cutoff = Math.max(...list.map((f) => f.atMs)) - 2 * FAILED_LOGIN_WINDOW_MS;
        for (const [id, atMs] of times) if (atMs <= cutoff) times.delete(id);
        this.fails.set(a, times);
      }
    };
  }

  /** A session signed off: out of the unreviewed, due and request-open indexes; its live entry marked reviewed. */
  planReviewed(session: SessionRecord): Write {
    const json = JSON.stringify(session);
    const account = session.account.toLowerCase();
    const field = liveField({ source: session.source.toLowerCase(), sid: session.sourceSessionId ?? '', id: session.id });
    return () => {
      this.records.set(session.id, json);
      this.touch('session', session.id);
      this.unreviewed.remove(session.id);
      this.reviewed.add(session.id, sessionScore(session.n, isFlagged(session)));
      this.due.remove(session.id);
      this.archiveDue.add(session.id, Date.parse(session.lastAt));
      const open = session.requestId ? this.openOfRequest.get(session.requestId) : undefined;
      if (open?.score(session.id) !== undefined) {
        open.remove(session.id);
        this.touch('unreviewed-of-request', session.requestId!);
      }
      const entries = this.live.get(account);
      const raw = entries?.get(field);
      const live = raw ? (JSON.parse(raw) as LiveEntry) : undefined;
      if (live?.id === session.id) entries!.set(field, JSON.stringify({ ...live, reviewed: true }));
    };
  }

  /** A session archived: nothing of it stays (as writeArchived), its live entry only if it is still this session's. */
  planArchived(session: SessionRecord): Write {
    const { id } = session;
    const account = session.account.toLowerCase();
    const field = liveField({ source: session.source.toLowerCase(), sid: session.sourceSessionId ?? '', id });
    return () => {
      this.records.delete(id);
      this.touch('session', id);
      this.events.delete(id);
      for (const index of [this.archiveDue, this.all, this.reviewed, this.unreviewed, this.due]) index.remove(id);
      this.byAccount.get(account)?.remove(id);
      if (session.requestId) {
        this.byRequest.get(session.requestId)?.remove(id);
        const open = this.openOfRequest.get(session.requestId);
        if (open?.score(id) !== undefined) {
          open.remove(id);
          this.touch('unreviewed-of-request', session.requestId);
        }
      }
      const entries = this.live.get(account);
      const raw = entries?.get(field);
      if (raw && (JSON.parse(raw) as LiveEntry).id === id) entries!.delete(field);
    };
  }

  planIncident(incident: Incident, previous: Incident | null): Write {
    const json = JSON.stringify(incident);
    return () => {
      this.incidents.set(incident.id, json);
      this.touch('incident', incident.id);
      if (!previous) this.incidentsAll.add(incident.id, incident.n);
      if (previous && previous.status !== incident.status) indexIn(this.incidentsByStatus, previous.status).remove(incident.id);
      indexIn(this.incidentsByStatus, incident.status).add(incident.id, incident.n);
    };
  }

  private addUnreviewedOf(requestId: string, sessionId: string, score: number): void {
    const index = indexIn(this.openOfRequest, requestId);
    if (index.score(sessionId) === score) return; // as ZADD: no change, nothing a lock sees
    index.add(sessionId, score);
    this.touch('unreviewed-of-request', requestId);
  }

  private touch(kind: SessionRef['kind'], id: string): void {
    const key = `${kind}:${id}`;
    this.versions.set(key, (this.versions.get(key) ?? 0) + 1);
  }
}
