import { chainEvents, GENESIS_HASH, type AuditEvent, type AuditInput } from '../../audit/audit-event.js';
import type { RecordRef, RecordWriter, Stored } from '../../domain/ports/domain-store.port.js';
import { LIVE_STATUSES, type AccessRequest, type Person, type Vendor } from '../../domain/types.js';
import { indexIn, SortedIndex } from './sorted-index.js';

/** A write planned by a decision, applied only when its unit of work commits. */
type Write = () => void;

/**
 * The state behind the in-memory store, shared by its peers (each peer is
 * one "process"). Records are kept as JSON, as Redis keeps them, so a read
 * returns a fresh copy and members set to undefined vanish alike. The
 * indexes mirror the Redis keys of src/store/redis-keys.ts one for one and
 * are kept in step exactly as RedisRecordStore's puts keep them.
 */
export class MemoryRecords {
  readonly vendors = new Map<string, string>();
  readonly people = new Map<string, string>();
  readonly requests = new Map<string, string>();
  readonly credentials = new Map<string, string>();
  /** Bumped on every write to a record: what a unit of work's lock compares (WATCH in Redis). */
  private readonly versions = new Map<string, number>();
  position = 0;

  readonly vendorsIndex = new SortedIndex();
  readonly peopleOfVendor = new Map<string, SortedIndex>();
  readonly peopleIndex = new SortedIndex();
  readonly requestsIndex = new SortedIndex();
  readonly requestsByStatus = new Map<string, SortedIndex>();
  readonly requestsByVendor = new Map<string, SortedIndex>();
  readonly requestsByPerson = new Map<string, SortedIndex>();
  readonly validTo = new SortedIndex();
  readonly pendingRevocations = new SortedIndex();
  readonly overdueReported = new Set<string>();
  readonly departures = new SortedIndex();
  readonly contractEnds = new SortedIndex();
  readonly retention = new SortedIndex();
  /** Lower-case username → id of the request that reserved it. */
  readonly usernames = new Map<string, string>();

  readonly events: AuditEvent[] = [];
  private head = { seq: 0, hash: GENESIS_HASH };

  version(r: RecordRef): number {
    return this.versions.get(`${r.kind}:${r.id}`) ?? 0;
  }

  /** Runs `writes` against a writer that only plans; throws (planning nothing) if `writes` throws. */
  plan(writes: ((w: RecordWriter) => void) | undefined): Write[] {
    const planned: Write[] = [];
    writes?.(this.planner(planned));
    return planned;
  }

  /** Applies planned writes and chains their events, all in one tick: nothing can interleave. */
  commit(writes: Write[], inputs: AuditInput[], at: Date): void {
    // Chained first: an event that cannot be stored (AuditValueError) must leave the writes undone.
    const events = chainEvents(this.head, inputs, at);
    for (const write of writes) write();
    const last = events.at(-1);
    if (!last) return;
    this.events.push(...events);
    this.head = { seq: last.seq, hash: last.hash };
  }

  private touch(kind: RecordRef['kind'], id: string): void {
    const key = `${kind}:${id}`;
    this.versions.set(key, (this.versions.get(key) ?? 0) + 1);
  }

  private planner(planned: Write[]): RecordWriter {
    return {
      putVendor: (vendor, isNew) => planned.push(this.putVendor(vendor, isNew)),
      putPerson: (person, isNew) => planned.push(this.putPerson(person, isNew)),
      putRequest: (request, previous) => planned.push(this.putRequest(request, previous)),
      putSealedCredential: (requestId, sealed) =>
        planned.push(() => {
          this.credentials.set(requestId, sealed);
          this.touch('credential', requestId);
        }),
      deleteCredential: (requestId) =>
        planned.push(() => {
          // As in Redis, deleting what is not there changes nothing a lock could see.
          if (this.credentials.delete(requestId)) this.touch('credential', requestId);
        }),
    };
  }

  // Each put serialises now (as a MULTI queues its arguments) and indexes when applied.

  private putVendor(vendor: Stored<Vendor>, isNew: boolean): Write {
    const json = JSON.stringify(vendor);
    return () => {
      this.vendors.set(vendor.id, json);
      this.touch('vendor', vendor.id);
      if (isNew) this.vendorsIndex.add(vendor.id, vendor.n);
      if (vendor.status === 'active') this.contractEnds.add(vendor.id, Date.parse(vendor.contractEndsAt));
      else this.contractEnds.remove(vendor.id);
    };
  }

  private putPerson(person: Stored<Person>, isNew: boolean): Write {
    const json = JSON.stringify(person);
    return () => {
      this.people.set(person.id, json);
      this.touch('person', person.id);
      if (person.status === 'active' && person.departureScheduledAt) this.departures.add(person.id, Date.parse(person.departureScheduledAt));
      else this.departures.remove(person.id);
      if (isNew) indexIn(this.peopleOfVendor, person.vendorId).add(person.id, person.n);
      if (isNew) this.peopleIndex.add(person.id, person.n);
    };
  }

  private putRequest(request: Stored<AccessRequest>, previous: AccessRequest | null): Write {
    const json = JSON.stringify(request);
    const { id, n } = request;
    return () => {
      this.requests.set(id, json);
      this.touch('request', id);
      if (!previous) {
        this.requestsIndex.add(id, n);
        indexIn(this.requestsByVendor, request.vendorId).add(id, n);
        indexIn(this.requestsByPerson, request.personId).add(id, n);
      }
      if (previous && previous.status !== request.status) indexIn(this.requestsByStatus, previous.status).remove(id);
      indexIn(this.requestsByStatus, request.status).add(id, n);
      const live = LIVE_STATUSES.includes(request.status);
      if (live) this.validTo.add(id, Date.parse(request.validTo));
      else this.validTo.remove(id);
      if (live && request.revocation) this.pendingRevocations.add(id, Date.parse(request.revocation.requestedAt));
      else this.pendingRevocations.remove(id);
      if (!live) this.overdueReported.delete(id);
      const account = request.account;
      if (account?.state === 'disabled' && account.disabledAt) this.retention.add(id, Date.parse(account.disabledAt));
      else this.retention.remove(id);
    };
  }
}
