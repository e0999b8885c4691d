import type { AuditInput } from '../audit/audit-event.js';
import type { Page } from '../domain/ports/domain-store.port.js';
import type { RoomReview, RoomVisit } from './room-visit.js';

/**
 * The machine-room register's store port, in the feature's own terms.
 * Implemented over Redis (redis-room.store.ts, sharing the Transactor and so
 * the audit chain) and in memory (memory-room.store.ts, for unit tests);
 * test/contract/room-store.contract.ts proves both behave alike.
 */

/** Narrows a visit list; every member given must match. Times bound the entry time, both ends included. */
export interface VisitFilter {
  open?: boolean;
  personId?: string;
  vendorId?: string;
  requestId?: string;
  fromMs?: number;
  toMs?: number;
}

/** What a decision reads. */
export interface RoomReader {
  visit(id: string): Promise<RoomVisit | null>;
  /** The person's visit not yet exited, if any (at most one: entry refuses a second). */
  openVisitOf(personId: string): Promise<RoomVisit | null>;
}

/** The writes a decision plans; applied only if it commits, with its events. */
export interface RoomWriter {
  /** Writes a visit and keeps its indexes (time, open, person, vendor, request) in step; `previous` null for a new one. */
  putVisit(visit: RoomVisit, previous: RoomVisit | null): void;
  putReview(review: RoomReview): void;
}

export interface RoomDecision<T> {
  writes?: (w: RoomWriter) => void;
  events: AuditInput[];
  result: T;
}

export interface RoomStore {
  /**
   * Runs `decide` and commits its writes with its audit events, or nothing;
   * runs it again on fresh data when a visit named in `lockVisits` changed
   * meanwhile, or a visit of a person named in `lockPeople` was entered, so
   * `decide` must only read.
   */
  run<T>(lockVisits: string[], decide: (read: RoomReader) => Promise<RoomDecision<T>>, lockPeople?: string[]): Promise<T>;
  /** Appends audit events with no state change (refusals). */
  append(...events: AuditInput[]): Promise<void>;
  /** The next list position (taken even if the visit is never committed). */
  nextPosition(): Promise<number>;
  getVisit(id: string): Promise<RoomVisit | null>;
  /** Visits matching `filter`, latest entry first; `cursor` is a score from decodeRoomCursor (exclusive). */
  listVisits(filter: VisitFilter, cursor: number | undefined, limit: number): Promise<Page<RoomVisit>>;
  /** The visit entered earliest at or after `fromMs` and before `beforeMs`, or null. */
  firstVisitIn(fromMs: number, beforeMs: number): Promise<RoomVisit | null>;
  /** Every review, latest signed first. */
  listReviews(): Promise<RoomReview[]>;
}

/** A list cursor for a visit's time score. */
export function encodeRoomCursor(score: number): string {
  return Buffer.from(`r:${score}`).toString('base64url');
}

/** Decodes a cursor; undefined for one the store did not make. */
export function decodeRoomCursor(cursor: string): number | undefined {
  const m = /^r:(\d+)$/.exec(Buffer.from(cursor, 'base64url').toString());
  return m ? Number(m[1]) : undefined;
}

/** Whether a visit passes the members of `filter` (the index chosen may already ensure some). */
export function visitMatches(v: RoomVisit, f: VisitFilter): boolean {
  if (f.open !== undefined && f.open !== (v.exitedAt === undefined)) return false;
  if (f.personId !== undefined && v.personId !== f.personId) return false;
  if (f.vendorId !== undefined && v.vendorId !== f.vendorId) return false;
  if (f.requestId !== undefined && v.requestId !== f.requestId) return false;
  const at = Date.parse(v.enteredAt);
  if (f.fromMs !== undefined && at < f.fromMs) return false;
  if (f.toMs !== undefined && at > f.toMs) return false;
  return true;
}

/** The page of `limit` visits out of `found` (read one past the limit to know whether more follow). */
export function visitPage(found: { item: RoomVisit; score: number }[], limit: number): Page<RoomVisit> {
  const slice = found.slice(0, limit);
  const more = found.length > limit && slice.length > 0;
  return { items: slice.map((x) => x.item), nextCursor: more ? encodeRoomCursor(slice[slice.length - 1]!.score) : null };
}
