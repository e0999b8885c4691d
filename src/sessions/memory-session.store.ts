import type { Page, Stored } from '../domain/ports/domain-store.port.js';
import type { AccessRequest } from '../domain/types.js';
import type { MemoryRecords } from '../store/memory/memory-records.js';
import { SortedIndex } from '../store/memory/sorted-index.js';
import { MemorySessionState, type Write } from './memory-session-state.js';
import type { DedupeRead } from './redis-session-writes.js';
import type { SessionArchive } from './session-archive.js';
import { batchDigest, freshEvents, parseMark, type StreamMark } from './session-dedupe.js';
import type { NormalizedEvent } from './session-event.schema.js';
import { FAILED_LOGIN_WINDOW_MS } from './session-flags.js';
import { expandEvent, type CompactEvent, type Incident, type IncidentStatus, type SessionRecord, type StoredEvent } from './session-record.js';
import type { LiveEntry } from './session-router.js';
import {
  encodeCursor,
  FLAG_BOOST,
  scoredPage,
  SORT_LIMIT,
  type BatchDecision,
  type BatchReader,
  type SessionDecision,
  type SessionFilter,
  type SessionReader,
  type SessionRef,
  type SessionStore,
  type SessionWriter,
} from './session-store.port.js';

/** As the Transactor: a unit of work that keeps losing to other writers gives up. */
const MAX_ATTEMPTS = 50;

const parse = <T>(raw: string | undefined): T | null => (raw === undefined ? null : (JSON.parse(raw) as T));

/**
 * The session store port in memory, for unit tests of the session services.
 * Same semantics as RedisSessionStore, proven by
 * test/contract/session-store.contract.ts. It shares the MemoryRecords of a
 * MemoryDomainStore (requests, usernames, the audit chain) as the Redis
 * stores share a server. As under the Transactor's WATCH on the audit head, a
 * decision runs again when anything was committed between its reads and its
 * commit (or a locked record changed). `peer()` is another process.
 */
export class MemorySessionStore implements SessionStore {
  private tail: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly options: { now: () => Date; archive?: SessionArchive },
    private readonly domain: MemoryRecords,
    private readonly state: MemorySessionState = new MemorySessionState(),
  ) {}

  /** Another process on the same records: its own queue of units of work. */
  peer(): MemorySessionStore {
    return new MemorySessionStore(this.options, this.domain, this.state);
  }

  appendEvents<T>(decide: (read: BatchReader) => Promise<BatchDecision<T>>): Promise<T> {
    return this.commit([], async () => {
      const dedupe: DedupeRead = { digest: '', marks: new Map() };
      const decision = await decide(this.batchReader(dedupe));
      return { writes: decision.batch ? [this.state.planBatch(decision.batch, dedupe)] : [], events: decision.events, result: decision.result };
    });
  }

  archiveDue(beforeMs: number, limit: number): Promise<string[]> {
    return Promise.resolve(this.state.archiveDue.upTo(beforeMs - 1, limit));
  }

  run<T>(lock: SessionRef[], decide: (read: SessionReader) => Promise<SessionDecision<T>>): Promise<T> {
    return this.commit(lock, async () => {
      const decision = await decide(this.reader());
      const writes: Write[] = [];
      decision.writes?.(this.writer(writes));
      return { writes, events: decision.events, result: decision.result };
    });
  }

  accesslogCursor(): Promise<string | undefined> {
    return Promise.resolve(this.state.accesslogCursor);
  }

  saveAccesslogCursor(cursor: string): Promise<void> {
    this.state.accesslogCursor = cursor;
    return Promise.resolve();
  }

  /** As SessionQueryStore: in the store, or else in the archive (its shard's manifest names it). */
  async getSession(id: string): Promise<SessionRecord | null> {
    const stored = parse<SessionRecord>(this.state.records.get(id));
    if (stored) return stored;
    const line = await this.options.archive?.lineOf(id);
    return line ? this.options.archive!.recordOf(line) : null;
  }

  async getEvents(session: SessionRecord, offset: number, limit: number): Promise<StoredEvent[]> {
    if (session.archive) {
      if (!this.options.archive) throw new Error(`session ${session.id} is archived and this store has no archive`);
      return (await this.options.archive.events(session)).slice(offset, offset + limit);
    }
    const all = (this.state.events.get(session.id) ?? []).flatMap((chunk) => (JSON.parse(chunk) as CompactEvent[]).map((e) => expandEvent(e, session)));
    if (session.eventCount <= SORT_LIMIT) all.sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0));
    return all.slice(offset, offset + limit);
  }

  /** As SessionQueryStore: what the store holds, by request or account followed by the archived sessions. */
  listSessions(filter: SessionFilter, cursor: number | undefined, limit: number): Promise<Page<SessionRecord>> {
    const { archive } = this.options;
    if (!archive) return this.liveSessions(filter, cursor, limit);
    return archive.list(
      filter,
      cursor,
      limit,
      (c) => this.liveSessions(filter, c, limit),
      (ids) => Promise.resolve(ids.map((id) => this.state.records.has(id))),
    );
  }

  /** Through the most selective index, filtering the rest: as SessionQueryStore does. */
  private liveSessions(filter: SessionFilter, cursor: number | undefined, limit: number): Promise<Page<SessionRecord>> {
    const { state } = this;
    const account = filter.account?.toLowerCase();
    const index = filter.requestId
      ? (state.byRequest.get(filter.requestId) ?? new SortedIndex())
      : account
        ? (state.byAccount.get(account) ?? new SortedIndex())
        : filter.reviewed === false
          ? state.unreviewed
          : filter.reviewed === true
            ? state.reviewed
            : state.all;
    let max = cursor;
    if (filter.flagged === false) max = Math.min(max ?? Infinity, FLAG_BOOST);
    const min = filter.flagged === true ? FLAG_BOOST : -Infinity;
    const items: { item: SessionRecord; score: number }[] = [];
    for (const id of index.descendingBelow(max === Infinity ? undefined : max, Infinity)) {
      const score = index.score(id)!;
      if (score < min) break;
      const s = parse<SessionRecord>(state.records.get(id));
      if (!s) continue;
      if (filter.reviewed !== undefined && (s.review !== undefined) !== filter.reviewed) continue;
      if (filter.flagged !== undefined && s.flags.length > 0 !== filter.flagged) continue;
      if (filter.requestId && s.requestId !== filter.requestId) continue;
      if (account && s.account.toLowerCase() !== account) continue;
      items.push({ item: s, score });
      if (items.length > limit) break;
    }
    return Promise.resolve(scoredPage(items, limit));
  }

  overdue(nowMs: number, offset: number, limit: number): Promise<Page<SessionRecord & { reviewDueAt: string }>> {
    const { due, records } = this.state;
    const ids = due.upTo(nowMs, offset + limit + 1).slice(offset);
    const items = ids.slice(0, limit).flatMap((id) => {
      const s = parse<SessionRecord>(records.get(id));
      return s ? [{ ...s, reviewDueAt: new Date(due.score(id)!).toISOString() }] : [];
    });
    return Promise.resolve({ items, nextCursor: ids.length > limit ? encodeCursor(offset + limit) : null });
  }

  getIncident(id: string): Promise<Incident | null> {
    return Promise.resolve(parse(this.state.incidents.get(id)));
  }

  listIncidents(status: IncidentStatus | undefined, cursor: number | undefined, limit: number): Promise<Page<Incident>> {
    const index = status ? (this.state.incidentsByStatus.get(status) ?? new SortedIndex()) : this.state.incidentsAll;
    const incidents = index.descendingBelow(cursor, limit + 1).flatMap((id) => parse<Incident>(this.state.incidents.get(id)) ?? []);
    return Promise.resolve(
      scoredPage(
        incidents.map((i) => ({ item: i, score: i.n })),
        limit,
      ),
    );
  }

  /** Runs `plan` until it commits on unchanged state: nothing committed since its reads, no locked record changed. */
  private commit<T>(lock: SessionRef[], plan: () => Promise<{ writes: Write[]; events: Parameters<MemoryRecords['commit']>[1]; result: T }>): Promise<T> {
    return this.serial(async () => {
      const { state, domain } = this;
      const versionOf = (r: SessionRef) => (r.kind === 'request' ? domain.version({ kind: 'request', id: r.id }) : state.version(r));
      for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
        const head = domain.events.length;
        const seen = lock.map(versionOf);
        const planned = await plan();
        if (domain.events.length !== head || lock.some((r, i) => versionOf(r) !== seen[i])) continue;
        domain.commit(planned.writes, planned.events, this.options.now());
        return planned.result;
      }
      throw new Error(`transaction did not settle after ${MAX_ATTEMPTS} attempts`);
    });
  }

  /** Runs `task` after every earlier one of this process has settled. */
  private serial<T>(task: () => Promise<T>): Promise<T> {
    const result = this.tail.then(task);
    this.tail = result.catch(() => undefined);
    return result;
  }

  private batchReader(dedupe: DedupeRead): BatchReader {
    const { state, domain } = this;
    return {
      routingState: (events: NormalizedEvent[]) => {
        const accounts = [...new Set(events.map((e) => e.accountKey))];
        dedupe.digest = batchDigest(events.map((e) => e.id));
        dedupe.marks = new Map(
          accounts.map((a) => [a, new Map([...(state.marks.get(a) ?? [])].map(([f, raw]) => [f, parseMark(raw)!] as [string, StreamMark]))]),
        );
        const fresh = freshEvents(events, dedupe.marks, state.batches.has(dedupe.digest));
        const owners = new Map(accounts.map((a) => [a, domain.usernames.get(a) ?? null]));
        const live = new Map(accounts.map((a) => [a, new Map([...(state.live.get(a) ?? [])].map(([f, json]) => [f, JSON.parse(json) as LiveEntry]))]));
        const priorFailures = new Map<string, number[]>();
        for (const a of accounts) {
          const times = events.filter((e) => e.accountKey === a && e.type === 'failed_login').map((e) => e.atMs);
          if (times.length === 0) continue;
          const from = Math.min(...times) - FAILED_LOGIN_WINDOW_MS;
          const to = Math.max(...times);
          const stored = [...(state.fails.get(a) ?? [])].filter(([, atMs]) => atMs >= from && atMs <= to);
          priorFailures.set(
            a,
            stored.sort(([ia, ta], [ib, tb]) => ta - tb || (ia < ib ? -1 : ia > ib ? 1 : 0)).map(([, atMs]) => atMs),
          );
        }
        return Promise.resolve({ fresh, owners, live, priorFailures });
      },
      groupingState: (owners, needed, creating) => {
        const request = (id: string | null) => (id === null ? null : parse<Stored<AccessRequest>>(domain.requests.get(id)));
        const requests = new Map([...owners].map(([a, id]) => [a, request(id)]));
        const records = new Map(needed.flatMap((id) => parse<SessionRecord>(state.records.get(id)) ?? []).map((s) => [s.id, s]));
        return Promise.resolve({ records, requests, positions: this.positions(creating) });
      },
      reservePositions: (count) => Promise.resolve(this.positions(count)),
    };
  }

  private positions(count: number): number[] {
    const out: number[] = [];
    for (let k = 0; k < count; k++) out.push(++this.state.sequence);
    return out;
  }

  private reader(): SessionReader {
    const { state, domain } = this;
    const open = (requestId: string) => state.openOfRequest.get(requestId) ?? new SortedIndex();
    return {
      session: (id) => this.getSession(id),
      incident: (id) => this.getIncident(id),
      request: (id) => Promise.resolve(parse<Stored<AccessRequest>>(domain.requests.get(id))),
      unreviewedOf: (requestId, limit) => Promise.resolve(open(requestId).ascending().slice(0, limit)),
      unreviewedCount: (requestId) => Promise.resolve(open(requestId).size),
      sessionCount: async (requestId) => {
        const listed = new Set(state.byRequest.get(requestId)?.ascending() ?? []);
        const archived = (await this.options.archive?.manifest({ requestId })) ?? [];
        return listed.size + archived.filter((l) => !listed.has(l.id)).length;
      },
      nextIncidentNumber: () => Promise.resolve(++state.incidentSequence),
    };
  }

  private writer(writes: Write[]): SessionWriter {
    return {
      putReviewed: (session) => void writes.push(this.state.planReviewed(session)),
      putArchived: (session) => void writes.push(this.state.planArchived(session)),
      putIncident: (incident, previous) => void writes.push(this.state.planIncident(incident, previous)),
      putRequest: (request, previous) => void writes.push(...this.domain.plan((w) => w.putRequest(request, previous))),
    };
  }
}
