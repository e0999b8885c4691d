import type { AuditInput } from '../../audit/audit-event.js';
import type { AccessRequest, Person, RequestStatus, Vendor } from '../types.js';
import type { AuditLog } from './audit-log.port.js';

/**
 * The domain's store port: the records, their indexes and their atomic
 * changes in the domain's own terms. Implemented over Redis
 * (src/store/redis-domain.store.ts) and in memory
 * (src/store/memory/memory-domain.store.ts); test/contract/store.contract.ts
 * proves both behave alike.
 */

/** A stored record with its list position (`n`, unique across records, newest highest). */
export type Stored<T> = T & { n: number };

/** One page of a list, newest first; `nextCursor` is null on the last page. */
export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

/** Narrows a request list; every member given must match. */
export interface RequestFilter {
  status?: RequestStatus;
  vendorId?: string;
  personId?: string;
}

/** A record a unit of work reads consistently (and re-runs on when it changes). */
export interface RecordRef {
  kind: 'request' | 'vendor' | 'person' | 'credential';
  id: string;
}

/** Shorthands for the refs a unit of work locks. */
export const ref = {
  request: (id: string): RecordRef => ({ kind: 'request', id }),
  vendor: (id: string): RecordRef => ({ kind: 'vendor', id }),
  person: (id: string): RecordRef => ({ kind: 'person', id }),
  /** The sealed initial password of a request's account. */
  credential: (requestId: string): RecordRef => ({ kind: 'credential', id: requestId }),
};

/** What a decision reads inside a unit of work. */
export interface RecordReader {
  vendor(id: string): Promise<Stored<Vendor> | null>;
  person(id: string): Promise<Stored<Person> | null>;
  request(id: string): Promise<Stored<AccessRequest> | null>;
  /** The requests that exist among `ids`, in the order asked for. */
  requests(ids: string[]): Promise<Stored<AccessRequest>[]>;
  /** The sealed initial password waiting for its one retrieval, or null. */
  sealedCredential(requestId: string): Promise<string | null>;
}

/**
 * The writes a decision plans. They are applied only if the whole unit of
 * work commits; each put keeps every index of the record in step.
 */
export interface RecordWriter {
  /** `isNew` adds the vendor to the vendor list; an active vendor is indexed by contract end. */
  putVendor(vendor: Stored<Vendor>, isNew: boolean): void;
  /** `isNew` adds the person to their vendor's people; an active person with a scheduled departure is indexed by it. */
  putPerson(person: Stored<Person>, isNew: boolean): void;
  /**
   * Writes a request and keeps every index in step: the lists (on first
   * write, `previous` null), the status index, the expiry sweep (live
   * statuses, by validTo), pending revocations (live with a revocation
   * asked), the overdue marks (cleared once not live) and retention
   * (disabled accounts, by disabledAt).
   */
  putRequest(request: Stored<AccessRequest>, previous: AccessRequest | null): void;
  putSealedCredential(requestId: string, sealed: string): void;
  deleteCredential(requestId: string): void;
}

/** What a decision returns: the writes, their audit events, and the caller's result. */
export interface Decision<T> {
  writes?: (w: RecordWriter) => void;
  events: AuditInput[];
  result: T;
}

/** Atomic state changes with their audit events (DESIGN.md, Store). */
export interface UnitOfWork {
  /**
   * Runs `decide` and commits its writes together with its events, or
   * nothing at all (when `decide` or `writes` throws, run rejects with it).
   * If a record named in `lock` changes between the read and the commit
   * (another process wrote it), `decide` runs again on fresh data, so it must
   * have no side effects beyond reading. Calls on one store commit one after
   * another in call order; `decide` must not call the store's run or append
   * itself (it would wait for itself). Records read but not locked are not
   * re-checked.
   */
  run<T>(lock: RecordRef[], decide: (read: RecordReader) => Promise<Decision<T>>): Promise<T>;
}

/** Everything read outside a unit of work: single records, lists and the sweep indexes. */
export interface RecordQueries {
  getVendor(id: string): Promise<Stored<Vendor> | null>;
  getPerson(id: string): Promise<Stored<Person> | null>;
  getRequest(id: string): Promise<Stored<AccessRequest> | null>;
  /** The requests that exist among `ids`, in the order asked for. */
  getRequests(ids: string[]): Promise<Stored<AccessRequest>[]>;
  /** The next list position, for a new record. */
  nextPosition(): Promise<number>;
  /**
   * Vendors whose name contains `q` (nameMatches: case- and width-insensitive,
   * any script), newest first; every vendor when `q` is empty. `cursor` is a
   * position from decodeCursor (exclusive), as for every list. Scans the
   * vendor list until a page is full: fine for a school's hundreds of vendors.
   */
  searchVendors(q: string, cursor: number | undefined, limit: number): Promise<Page<Stored<Vendor>>>;
  /** People of every vendor whose full name contains `q` (nameMatches), newest first; everyone when `q` is empty. */
  searchPeople(q: string, cursor: number | undefined, limit: number): Promise<Page<Stored<Person>>>;
  /** Requests matching `filter`, newest first; `cursor` is a position from decodeCursor (exclusive). */
  listRequests(filter: RequestFilter, cursor: number | undefined, limit: number): Promise<Page<Stored<AccessRequest>>>;
  /** A vendor's people, oldest first. */
  peopleOfVendor(vendorId: string): Promise<Stored<Person>[]>;
  /** Ids of a person's requests, newest first. */
  requestIdsOfPerson(personId: string): Promise<string[]>;
  /** Ids of a vendor's requests, newest first. */
  requestIdsOfVendor(vendorId: string): Promise<string[]>;
  /** Ids of live requests whose validTo is at or before `untilMs` (and after `afterMs`, when given), earliest first. */
  dueForExpiry(untilMs: number, limit: number, afterMs?: number): Promise<string[]>;
  /** Ids of live requests whose revocation was asked for at or before `untilMs`, earliest first. */
  pendingRevocations(untilMs: number, limit: number): Promise<string[]>;
  /** Ids of active vendors whose contract ends at or before `untilMs`, earliest first. */
  contractsEnded(untilMs: number, limit: number): Promise<string[]>;
  /** Ids of active people whose scheduled departure is at or before `untilMs`, earliest first. */
  departuresDue(untilMs: number, limit: number): Promise<string[]>;
  /** Marks a live request reported overdue; true the first time (the mark clears once it is not live). */
  markOverdueReported(requestId: string): Promise<boolean>;
  /** Ids of every request in `status`, oldest first (start-up catch-up). */
  idsInStatus(status: RequestStatus): Promise<string[]>;
  /** Ids of requests whose account was disabled at or before `untilMs` and not yet deleted, earliest first. */
  dueForDeletion(untilMs: number, limit: number): Promise<string[]>;
  /** Reserves a username (case-insensitively, first come wins); returns the id of the request that owns it. */
  reserveUsername(username: string, requestId: string): Promise<string>;
}

/** The one store dependency a service takes. */
export interface DomainStore extends RecordQueries, UnitOfWork, AuditLog {}

/** Folds width (full-width Latin, NFKC) and case so that a search finds `ＡＣＭＥ` with `acme`; CJK has no case and passes unchanged. */
function foldName(s: string): string {
  return s.normalize('NFKC').toLowerCase();
}

/** Whether `name` contains `q` as a substring, ignoring case and width; an empty `q` matches every name. */
export function nameMatches(name: string, q: string): boolean {
  return foldName(name).includes(foldName(q.trim()));
}

/** A list cursor for position `n`. */
function encodeCursor(n: number): string {
  return Buffer.from(`n:${n}`).toString('base64url');
}

/** Decodes a cursor; undefined for a cursor the store did not make. */
export function decodeCursor(cursor: string): number | undefined {
  const m = /^n:(\d+)$/.exec(Buffer.from(cursor, 'base64url').toString());
  return m ? Number(m[1]) : undefined;
}

/** The page of `limit` items out of `items` (read one past the limit to know whether more follow). */
export function pageOf<T extends { n: number }>(items: T[], limit: number): Page<T> {
  const more = items.length > limit;
  const slice = items.slice(0, limit);
  return { items: slice, nextCursor: more && slice.length ? encodeCursor(slice[slice.length - 1]!.n) : null };
}
