import type { AuditInput } from '../audit/audit-event.js';
import type { Page, Stored } from '../domain/ports/domain-store.port.js';
import type { AccessRequest } from '../domain/types.js';
import type { NormalizedEvent } from './session-event.schema.js';
import type { GroupingPlan } from './session-grouper.js';
import type { LiveEntry } from './session-router.js';
import type { Incident, IncidentStatus, SessionRecord, StoredEvent } from './session-record.js';

/**
 * The session feature's store port, in the feature's own terms: batches of
 * events appended with their audit events, reviews and incidents as units of
 * work, and the reads the routes make. It lives in the feature folder, not in
 * domain/ports, because its language (sessions, live entries, incidents) is
 * the feature's and the domain must not import the feature. Implemented over
 * Redis (redis-session.store.ts) and in memory (memory-session.store.ts);
 * test/contract/session-store.contract.ts proves both behave alike. Both
 * share the records and the audit chain of their DomainStore.
 */

/** What a batch reads first: what decides where each event goes. */
export interface RoutingState {
  /** The batch's events not stored before (deduplicated by event id), in no particular order. */
  fresh: NormalizedEvent[];
  /** Per account key of the batch: the id of the request whose username it is, or null. */
  owners: Map<string, string | null>;
  /** Per account key: its recent sessions' live entries by field (empty when none). */
  live: Map<string, Map<string, LiveEntry>>;
  /** Per account key with failed logins in the batch: times of stored failures from a burst window before the first to the last. */
  priorFailures: Map<string, number[]>;
}

/** What a batch reads second, once routing has said what it needs. */
export interface GroupingReads {
  /** Records of the sessions asked for that exist. */
  records: Map<string, SessionRecord>;
  /** Per account key: the request owning it, or null. */
  requests: Map<string, AccessRequest | null>;
  /** List positions reserved for new sessions, ascending (as many as asked). */
  positions: number[];
}

/** The reads of one batch: two round trips in Redis, whatever the batch's size. */
export interface BatchReader {
  /** First read (call once, with the batch's unique events). */
  routingState(events: NormalizedEvent[]): Promise<RoutingState>;
  /** Second read: the records `needed`, the owners' requests, and `creating` list positions. */
  groupingState(owners: Map<string, string | null>, needed: string[], creating: number): Promise<GroupingReads>;
  /** More list positions, ascending (when grouping opened more sessions than routing foresaw). */
  reservePositions(count: number): Promise<number[]>;
}

/** A batch to store: its new events and what grouping made of them. */
export interface StoredBatch {
  fresh: NormalizedEvent[];
  /** Every created or touched session has its list position (`n`) by now. */
  plan: GroupingPlan;
  /** The account keys whose live entries and failures the plan holds. */
  accounts: string[];
  /** How long after its end (or last event) a session's review falls due. */
  reviewDueMs: number;
}

export interface BatchDecision<T> {
  batch?: StoredBatch;
  events: AuditInput[];
  result: T;
}

/** A record a session unit of work reads consistently (and re-runs on when it changes). */
export interface SessionRef {
  kind: 'session' | 'incident' | 'request' | 'unreviewed-of-request';
  id: string;
}

export const sessionRef = {
  session: (id: string): SessionRef => ({ kind: 'session', id }),
  incident: (id: string): SessionRef => ({ kind: 'incident', id }),
  request: (id: string): SessionRef => ({ kind: 'request', id }),
  /** The set of a request's sessions awaiting review. */
  unreviewedOf: (requestId: string): SessionRef => ({ kind: 'unreviewed-of-request', id: requestId }),
};

/** What a review or incident decision reads. */
export interface SessionReader {
  session(id: string): Promise<SessionRecord | null>;
  incident(id: string): Promise<Incident | null>;
  request(id: string): Promise<Stored<AccessRequest> | null>;
  /** At most `limit` ids of the request's sessions awaiting review. */
  unreviewedOf(requestId: string, limit: number): Promise<string[]>;
  unreviewedCount(requestId: string): Promise<number>;
  /** How many sessions the request has in all. */
  sessionCount(requestId: string): Promise<number>;
  /** The next incident number (taken even if the unit of work does not commit). */
  nextIncidentNumber(): Promise<number>;
}

/** The writes a review or incident decision plans; applied only if it commits. */
export interface SessionWriter {
  /**
   * Writes a session just signed off: it leaves the unreviewed, due and
   * request-open indexes for the reviewed one, and its live entry (if it is
   * still this session's) is marked reviewed, so later events open a new
   * session that continues it.
   */
  putReviewed(session: SessionRecord): void;
  /** Writes an incident and its indexes (`previous` null for a new one). */
  putIncident(incident: Incident, previous: Incident | null): void;
  /** Writes a request as the DomainStore's RecordWriter does. */
  putRequest(request: Stored<AccessRequest>, previous: AccessRequest | null): void;
  /**
   * Writes a session retention archived (`session.archive` set; its file
   * and manifest lines are already durable): nothing of it stays — record,
   * events or their references, index entries, its live entry if still its
   * own; bodies kept elsewhere are dropped after the commit. It is read from
   * then on from the archive (getSession, listSessions by request or account).
   */
  putArchived(session: SessionRecord): void;
}

export interface SessionDecision<T> {
  writes?: (w: SessionWriter) => void;
  events: AuditInput[];
  result: T;
}

/** Narrows a session list; every member given must match. */
export interface SessionFilter {
  reviewed?: boolean;
  flagged?: boolean;
  requestId?: string;
  account?: string;
}

/** The read side the routes use. */
export interface SessionQueries {
  getSession(id: string): Promise<SessionRecord | null>;
  /**
   * Events of a session, `limit` from `offset`: in time order (late arrivals
   * sorted in), or for a session longer than SORT_LIMIT events in arrival
   * order, which is time order within each batch.
   */
  getEvents(session: SessionRecord, offset: number, limit: number): Promise<StoredEvent[]>;
  /** Sessions, flagged first, newest first; `cursor` from decodeCursor (exclusive). */
  listSessions(filter: SessionFilter, cursor: number | undefined, limit: number): Promise<Page<SessionRecord>>;
  /** Unreviewed sessions whose review fell due at or before `nowMs`, earliest due first; `offset` from decodeCursor. */
  overdue(nowMs: number, offset: number, limit: number): Promise<Page<SessionRecord & { reviewDueAt: string }>>;
  getIncident(id: string): Promise<Incident | null>;
  /** Incidents newest first, optionally of one status; `cursor` from decodeCursor (exclusive). */
  listIncidents(status: IncidentStatus | undefined, cursor: number | undefined, limit: number): Promise<Page<Incident>>;
}

/** The one store dependency of the session services. */
export interface SessionStore extends SessionQueries {
  /**
   * Stores a batch: runs `decide` and commits its batch (event ids for
   * dedupe, sessions and their indexes, events, live entries, failures)
   * together with its events, or nothing. Like every commit it is chained
   * after everything committed before; if anything was committed meanwhile,
   * `decide` runs again on fresh state, so it must only read.
   */
  appendEvents<T>(decide: (read: BatchReader) => Promise<BatchDecision<T>>): Promise<T>;
  /**
   * A review or incident change: runs `decide` and commits its writes with
   * its events, or nothing; re-runs `decide` on fresh data when a record
   * named in `lock` changed meanwhile (as DomainStore.run).
   */
  run<T>(lock: SessionRef[], decide: (read: SessionReader) => Promise<SessionDecision<T>>): Promise<T>;
  /** Ids of reviewed, not yet archived sessions whose last event is before `beforeMs`, oldest first. */
  archiveDue(beforeMs: number, limit: number): Promise<string[]>;
  /** Where the next accesslog import starts (exclusive), or undefined before the first. */
  accesslogCursor(): Promise<string | undefined>;
  saveAccesslogCursor(cursor: string): Promise<void>;
}

/** Sessions up to this many events are returned in time order. */
export const SORT_LIMIT = 20_000;

/** Added to a session's index score while it is flagged: flagged sessions sort above every unflagged one. */
export const FLAG_BOOST = 2 ** 50;

/** Index score of a session. */
export function sessionScore(n: number, flagged: boolean): number {
  return n + (flagged ? FLAG_BOOST : 0);
}

/** Opaque list cursors: a score (or offset) the next page starts below (or at). */
export function encodeCursor(value: number): string {
  return Buffer.from(`c:${value}`).toString('base64url');
}

/** Decodes a cursor; undefined for one the store did not make. */
export function decodeCursor(cursor: string): number | undefined {
  const m = /^c:(\d+)$/.exec(Buffer.from(cursor, 'base64url').toString());
  return m ? Number(m[1]) : undefined;
}

/** The page of `limit` items out of `items` with their scores (read one past the limit to know whether more follow). */
export function scoredPage<T>(items: { item: T; score: number }[], limit: number): Page<T> {
  const slice = items.slice(0, limit);
  return { items: slice.map((x) => x.item), nextCursor: items.length > limit && slice.length ? encodeCursor(slice[slice.length - 1]!.score) : null };
}
