import type { ChainableCommander, Redis } from 'ioredis';
import type { AuditInput } from '../audit/audit-event.js';
import type { Decision, DomainStore, Page, RecordReader, RecordRef, RecordWriter, RequestFilter, Stored } from '../domain/ports/domain-store.port.js';
import type { AccessRequest, Person, RequestStatus, Vendor } from '../domain/types.js';
import type { RedisRecordStore } from './redis-record.store.js';
import type { RedisKeys } from './redis-keys.js';
import type { Transactor } from './transactor.js';

/**
 * The store port over Redis: queries go to the RedisRecordStore, units of work to
 * the Transactor (WATCH on the locked records' keys and the audit head, one
 * MULTI/EXEC with the writes and the chained events). Give the Transactor a
 * connection of its own: WATCH is per connection.
 */
export class RedisDomainStore implements DomainStore {
  private readonly keys: RedisKeys;

  constructor(
    private readonly records: RedisRecordStore,
    private readonly tx: Transactor,
  ) {
    this.keys = records.keys;
  }

  run<T>(lock: RecordRef[], decide: (read: RecordReader) => Promise<Decision<T>>): Promise<T> {
    return this.tx.run(
      lock.map((r) => this.keyOf(r)),
      async (redis) => {
        const decision = await decide(this.reader(redis));
        const { writes } = decision;
        return { writes: writes && ((multi) => writes(this.writer(multi))), events: decision.events, result: decision.result };
      },
    );
  }

  append(...events: AuditInput[]): Promise<void> {
    return this.tx.append(...events);
  }

  getVendor(id: string): Promise<Stored<Vendor> | null> {
    return this.records.getVendor(id);
  }
  getPerson(id: string): Promise<Stored<Person> | null> {
    return this.records.getPerson(id);
  }
  getRequest(id: string): Promise<Stored<AccessRequest> | null> {
    return this.records.getRequest(id);
  }
  getRequests(ids: string[]): Promise<Stored<AccessRequest>[]> {
    return this.records.getRequests(ids);
  }
  nextPosition(): Promise<number> {
    return this.records.nextPosition();
  }
  searchVendors(q: string, cursor: number | undefined, limit: number): Promise<Page<Stored<Vendor>>> {
    return this.records.searchVendors(q, cursor, limit);
  }
  searchPeople(q: string, cursor: number | undefined, limit: number): Promise<Page<Stored<Person>>> {
    return this.records.searchPeople(q, cursor, limit);
  }
  listRequests(filter: RequestFilter, cursor: number | undefined, limit: number): Promise<Page<Stored<AccessRequest>>> {
    return this.records.listRequests(filter, cursor, limit);
  }
  peopleOfVendor(vendorId: string): Promise<Stored<Person>[]> {
    return this.records.peopleOfVendor(vendorId);
  }
  requestIdsOfPerson(personId: string): Promise<string[]> {
    return this.records.requestIdsOfPerson(personId);
  }
  requestIdsOfVendor(vendorId: string): Promise<string[]> {
    return this.records.requestIdsOfVendor(vendorId);
  }
  dueForExpiry(untilMs: number, limit: number, afterMs?: number): Promise<string[]> {
    return this.records.dueForExpiry(untilMs, limit, afterMs);
  }
  pendingRevocations(untilMs: number, limit: number): Promise<string[]> {
    return this.records.pendingRevocations(untilMs, limit);
  }
  contractsEnded(untilMs: number, limit: number): Promise<string[]> {
    return this.records.contractsEnded(untilMs, limit);
  }
  departuresDue(untilMs: number, limit: number): Promise<string[]> {
    return this.records.departuresDue(untilMs, limit);
  }
  markOverdueReported(requestId: string): Promise<boolean> {
    return this.records.markOverdueReported(requestId);
  }
  idsInStatus(status: RequestStatus): Promise<string[]> {
    return this.records.idsInStatus(status);
  }
  dueForDeletion(untilMs: number, limit: number): Promise<string[]> {
    return this.records.dueForDeletion(untilMs, limit);
  }
  reserveUsername(username: string, requestId: string): Promise<string> {
    return this.records.reserveUsername(username, requestId);
  }

  private keyOf(r: RecordRef): string {
    return this.keys[r.kind](r.id);
  }

  /** Records through the RedisRecordStore; the credential on the transaction's own connection, as it is watched there. */
  private reader(redis: Redis): RecordReader {
    const { records, keys } = this;
    return {
      vendor: (id) => records.getVendor(id),
      person: (id) => records.getPerson(id),
      request: (id) => records.getRequest(id),
      requests: (ids) => records.getRequests(ids),
      sealedCredential: (requestId) => redis.get(keys.credential(requestId)),
    };
  }

  private writer(multi: ChainableCommander): RecordWriter {
    const { records, keys } = this;
    return {
      putVendor: (vendor, isNew) => records.putVendor(multi, vendor, isNew),
      putPerson: (person, isNew) => records.putPerson(multi, person, isNew),
      putRequest: (request, previous) => records.putRequest(multi, request, previous),
      putSealedCredential: (requestId, sealed) => void multi.set(keys.credential(requestId), sealed),
      deleteCredential: (requestId) => void multi.del(keys.credential(requestId)),
    };
  }
}
