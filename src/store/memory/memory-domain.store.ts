import type { AuditEvent, AuditInput } from '../../audit/audit-event.js';
import {
  nameMatches,
  pageOf,
  type Decision,
  type DomainStore,
  type Page,
  type RecordReader,
  type RecordRef,
  type RequestFilter,
  type Stored,
} from '../../domain/ports/domain-store.port.js';
import type { AccessRequest, Person, RequestStatus, Vendor } from '../../domain/types.js';
import { MemoryRecords } from './memory-records.js';
import { SortedIndex } from './sorted-index.js';

/** As the Transactor: a unit of work that keeps losing to other writers gives up. */
const MAX_ATTEMPTS = 50;

const parse = <T>(raw: string | undefined): T | null => (raw === undefined ? null : (JSON.parse(raw) as T));

/**
 * The store port in memory, for unit tests of the services (no Redis, an
 * injected clock). Same semantics as RedisDomainStore, proven by
 * test/contract/store.contract.ts: atomic units of work with chained audit
 * events, the same indexes and cursors. One instance is one process: its
 * units of work commit one after another; `peer()` gives another process
 * on the same records, whose commits may interleave, so a decision whose
 * locked records changed meanwhile runs again, as under WATCH.
 */
export class MemoryDomainStore implements DomainStore {
  private tail: Promise<unknown> = Promise.resolve();

  /** @param records the state shared with peers; a fresh, empty store when omitted */
  constructor(
    private readonly options: { now: () => Date },
    private readonly records: MemoryRecords = new MemoryRecords(),
  ) {}

  /** Another process on the same records: its own queue of units of work. */
  peer(): MemoryDomainStore {
    return new MemoryDomainStore(this.options, this.records);
  }

  /** The audit trail, oldest first (test read side; not on the port). */
  events(): AuditEvent[] {
    return this.records.events.map((e) => ({ ...e, details: structuredClone(e.details) }));
  }

  run<T>(lock: RecordRef[], decide: (read: RecordReader) => Promise<Decision<T>>): Promise<T> {
    return this.serial(async () => {
      for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
        const seen = lock.map((r) => this.records.version(r));
        const decision = await decide(this.reader());
        const writes = this.records.plan(decision.writes);
        if (lock.some((r, i) => this.records.version(r) !== seen[i])) continue;
        this.records.commit(writes, decision.events, this.options.now());
        return decision.result;
      }
      throw new Error(`transaction did not settle after ${MAX_ATTEMPTS} attempts`);
    });
  }

  append(...events: AuditInput[]): Promise<void> {
    if (events.length === 0) return Promise.resolve();
    return this.serial(() => Promise.resolve(this.records.commit([], events, this.options.now())));
  }

  getVendor(id: string): Promise<Stored<Vendor> | null> {
    return Promise.resolve(parse(this.records.vendors.get(id)));
  }
  getPerson(id: string): Promise<Stored<Person> | null> {
    return Promise.resolve(parse(this.records.people.get(id)));
  }
  getRequest(id: string): Promise<Stored<AccessRequest> | null> {
    return Promise.resolve(parse(this.records.requests.get(id)));
  }
  getRequests(ids: string[]): Promise<Stored<AccessRequest>[]> {
    return Promise.resolve(this.requestsOf(ids));
  }
  nextPosition(): Promise<number> {
    return Promise.resolve(++this.records.position);
  }

  searchVendors(q: string, cursor: number | undefined, limit: number): Promise<Page<Stored<Vendor>>> {
    return Promise.resolve(this.scan(this.records.vendorsIndex, this.records.vendors, (v: Stored<Vendor>) => nameMatches(v.name, q), cursor, limit));
  }

  searchPeople(q: string, cursor: number | undefined, limit: number): Promise<Page<Stored<Person>>> {
    return Promise.resolve(this.scan(this.records.peopleIndex, this.records.people, (p: Stored<Person>) => nameMatches(p.fullName ?? '', q), cursor, limit));
  }

  /** Newest first, through the most selective index, filtering the rest: as RedisRecordStore does. */
  listRequests(filter: RequestFilter, cursor: number | undefined, limit: number): Promise<Page<Stored<AccessRequest>>> {
    const { records } = this;
    const index = filter.personId
      ? this.indexOrEmpty(records.requestsByPerson, filter.personId)
      : filter.vendorId
        ? this.indexOrEmpty(records.requestsByVendor, filter.vendorId)
        : filter.status
          ? this.indexOrEmpty(records.requestsByStatus, filter.status)
          : records.requestsIndex;
    const items: Stored<AccessRequest>[] = [];
    for (const r of this.requestsOf(index.descendingBelow(cursor, Infinity))) {
      if (filter.status && r.status !== filter.status) continue;
      if (filter.vendorId && r.vendorId !== filter.vendorId) continue;
      if (filter.personId && r.personId !== filter.personId) continue;
      items.push(r);
      if (items.length > limit) break;
    }
    return Promise.resolve(pageOf(items, limit));
  }

  peopleOfVendor(vendorId: string): Promise<Stored<Person>[]> {
    const ids = this.indexOrEmpty(this.records.peopleOfVendor, vendorId).ascending();
    return Promise.resolve(ids.flatMap((id) => parse<Stored<Person>>(this.records.people.get(id)) ?? []));
  }
  requestIdsOfPerson(personId: string): Promise<string[]> {
    return Promise.resolve(this.indexOrEmpty(this.records.requestsByPerson, personId).ascending().reverse());
  }
  requestIdsOfVendor(vendorId: string): Promise<string[]> {
    return Promise.resolve(this.indexOrEmpty(this.records.requestsByVendor, vendorId).ascending().reverse());
  }
  dueForExpiry(untilMs: number, limit: number, afterMs?: number): Promise<string[]> {
    return Promise.resolve(this.records.validTo.upTo(untilMs, limit, afterMs));
  }
  pendingRevocations(untilMs: number, limit: number): Promise<string[]> {
    return Promise.resolve(this.records.pendingRevocations.upTo(untilMs, limit));
  }
  contractsEnded(untilMs: number, limit: number): Promise<string[]> {
    return Promise.resolve(this.records.contractEnds.upTo(untilMs, limit));
  }
  departuresDue(untilMs: number, limit: number): Promise<string[]> {
    return Promise.resolve(this.records.departures.upTo(untilMs, limit));
  }
  markOverdueReported(requestId: string): Promise<boolean> {
    const first = !this.records.overdueReported.has(requestId);
    this.records.overdueReported.add(requestId);
    return Promise.resolve(first);
  }
  idsInStatus(status: RequestStatus): Promise<string[]> {
    return Promise.resolve(this.indexOrEmpty(this.records.requestsByStatus, status).ascending());
  }
  dueForDeletion(untilMs: number, limit: number): Promise<string[]> {
    return Promise.resolve(this.records.retention.upTo(untilMs, limit));
  }
  reserveUsername(username: string, requestId: string): Promise<string> {
    const key = username.toLowerCase();
    if (!this.records.usernames.has(key)) this.records.usernames.set(key, requestId);
    return Promise.resolve(this.records.usernames.get(key)!);
  }

  /** Runs `task` after every earlier one of this process has settled. */
  private serial<T>(task: () => Promise<T>): Promise<T> {
    const result = this.tail.then(task);
    this.tail = result.catch(() => undefined);
    return result;
  }

  private reader(): RecordReader {
    return {
      vendor: (id) => this.getVendor(id),
      person: (id) => this.getPerson(id),
      request: (id) => this.getRequest(id),
      requests: (ids) => this.getRequests(ids),
      sealedCredential: (requestId) => Promise.resolve(this.records.credentials.get(requestId) ?? null),
    };
  }

  /** Newest first through `index`, the records `keep` accepts: a page and whether more follow, as RedisRecordStore scans. */
  private scan<T extends { n: number }>(
    index: SortedIndex,
    table: Map<string, string>,
    keep: (r: T) => boolean,
    cursor: number | undefined,
    limit: number,
  ): Page<T> {
    const items: T[] = [];
    for (const id of index.descendingBelow(cursor, Infinity)) {
      const record = parse<T>(table.get(id));
      if (!record || !keep(record)) continue;
      items.push(record);
      if (items.length > limit) break;
    }
    return pageOf(items, limit);
  }

  private requestsOf(ids: string[]): Stored<AccessRequest>[] {
    return ids.flatMap((id) => parse<Stored<AccessRequest>>(this.records.requests.get(id)) ?? []);
  }

  /** Reads never create an index (an empty one is the same as none). */
  private indexOrEmpty(family: Map<string, SortedIndex>, key: string): SortedIndex {
    return family.get(key) ?? new SortedIndex();
  }
}
