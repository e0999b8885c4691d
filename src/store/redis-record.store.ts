import type { ChainableCommander, Redis } from 'ioredis';
import { nameMatches, pageOf, type Page, type RequestFilter, type Stored } from '../domain/ports/domain-store.port.js';
import { LIVE_STATUSES, type AccessRequest, type Person, type RequestStatus, type Vendor } from '../domain/types.js';
import type { RedisKeys } from './redis-keys.js';

function parse<T>(raw: string | null): T | null {
  return raw === null ? null : (JSON.parse(raw) as T);
}

/**
 * Single-record reads asked for in the same turn of the event loop leave as
 * one MGET: concurrent jobs and the transactions of one group commit each
 * read a few records (request, person, vendor), and a GET apiece was a round
 * trip apiece (issue 15). A read waits at most until the end of the turn.
 */
class CoalescedGets {
  private waiting: { key: string; resolve: (value: string | null) => void; reject: (err: unknown) => void }[] = [];

  constructor(private readonly redis: Redis) {}

  get(key: string): Promise<string | null> {
    return new Promise((resolve, reject) => {
      if (this.waiting.push({ key, resolve, reject }) === 1) setImmediate(() => this.flush());
    });
  }

  private flush(): void {
    const batch = this.waiting;
    this.waiting = [];
    const values = batch.length === 1 ? this.redis.get(batch[0]!.key).then((v) => [v]) : this.redis.mget(batch.map((b) => b.key));
    values.then(
      (found) => batch.forEach((b, i) => b.resolve(found[i] ?? null)),
      (err: unknown) => batch.forEach((b) => b.reject(err)),
    );
  }
}

/**
 * Reads and writes the domain records (JSON strings) and their indexes.
 * Writes are only ever queued onto a MULTI given by the Transactor, so that
 * they commit together with their audit events.
 */
export class RedisRecordStore {
  private peopleIndexReady: Promise<void> | undefined;
  private readonly reads: CoalescedGets;

  constructor(
    private readonly redis: Redis,
    readonly keys: RedisKeys,
  ) {
    this.reads = new CoalescedGets(redis);
  }

  async getVendor(id: string): Promise<Stored<Vendor> | null> {
    return parse(await this.reads.get(this.keys.vendor(id)));
  }
  async getPerson(id: string): Promise<Stored<Person> | null> {
    return parse(await this.reads.get(this.keys.person(id)));
  }
  async getRequest(id: string): Promise<Stored<AccessRequest> | null> {
    return parse(await this.reads.get(this.keys.request(id)));
  }
  async getRequests(ids: string[]): Promise<Stored<AccessRequest>[]> {
    if (ids.length === 0) return [];
    const raws = await this.redis.mget(ids.map((id) => this.keys.request(id)));
    return raws.flatMap((raw) => (raw === null ? [] : [JSON.parse(raw) as Stored<AccessRequest>]));
  }

  /** Next list position for a new record. */
  nextPosition(): Promise<number> {
    return this.redis.incr(this.keys.sequence('records'));
  }

  searchVendors(q: string, cursor: number | undefined, limit: number): Promise<Page<Stored<Vendor>>> {
    return this.scan(this.keys.vendorsIndex(), this.keys.vendor, (v: Stored<Vendor>) => nameMatches(v.name, q), cursor, limit);
  }

  async searchPeople(q: string, cursor: number | undefined, limit: number): Promise<Page<Stored<Person>>> {
    await this.ensurePeopleIndex();
    return this.scan(this.keys.peopleIndex(), this.keys.person, (p: Stored<Person>) => nameMatches(p.fullName ?? '', q), cursor, limit);
  }

  /**
   * The cross-vendor people index is written with each new person; people
   * saved before it existed are only in their vendor's index. The first search
   * of a process unions those in (ZUNIONSTORE is atomic and keeps what the
   * index already holds, so a person added meanwhile is not lost; MAX, as a
   * person is in both with the same score and SUM would double it) and marks
   * the index built.
   */
  private ensurePeopleIndex(): Promise<void> {
    this.peopleIndexReady ??= (async () => {
      if (await this.redis.exists(this.keys.peopleIndexBuilt())) return;
      const vendorIds = await this.redis.zrange(this.keys.vendorsIndex(), 0, -1);
      const sources = [this.keys.peopleIndex(), ...vendorIds.map((id) => this.keys.peopleOfVendor(id))];
      for (let i = 1; i < sources.length; i += 500) {
        await this.redis.zunionstore(
          this.keys.peopleIndex(),
          1 + Math.min(500, sources.length - i),
          this.keys.peopleIndex(),
          ...sources.slice(i, i + 500),
          'AGGREGATE',
          'MAX',
        );
      }
      await this.redis.set(this.keys.peopleIndexBuilt(), '1');
    })().catch((err: unknown) => {
      this.peopleIndexReady = undefined; // try again with the next search
      throw err;
    });
    return this.peopleIndexReady;
  }

  /** Newest first through `index`, keeping the records `keep` accepts, until a page (and one more) is found. */
  private async scan<T extends { n: number }>(
    index: string,
    keyOf: (id: string) => string,
    keep: (record: T) => boolean,
    cursor: number | undefined,
    limit: number,
  ): Promise<Page<T>> {
    const items: T[] = [];
    let from = cursor;
    for (;;) {
      const ids = await this.pageIds(index, from, Math.max(limit * 2, 100));
      if (ids.length === 0) return pageOf(items, limit);
      const raws = await this.redis.mget(ids.map(keyOf));
      for (const raw of raws) {
        if (raw === null) continue;
        const record = JSON.parse(raw) as T;
        from = record.n;
        if (!keep(record)) continue;
        items.push(record);
        if (items.length > limit) return pageOf(items, limit);
      }
      // Every id of this batch was missing: continue below the batch's last score.
      if (raws.every((r) => r === null)) return pageOf(items, limit);
    }
  }

  async peopleOfVendor(vendorId: string): Promise<Stored<Person>[]> {
    const ids = await this.redis.zrange(this.keys.peopleOfVendor(vendorId), 0, -1);
    if (ids.length === 0) return [];
    const raws = await this.redis.mget(ids.map((id) => this.keys.person(id)));
    return raws.flatMap((r) => (r ? [JSON.parse(r) as Stored<Person>] : []));
  }

  async requestIdsOfPerson(personId: string): Promise<string[]> {
    return this.redis.zrevrange(this.keys.requestsByPerson(personId), 0, -1);
  }

  async requestIdsOfVendor(vendorId: string): Promise<string[]> {
    return this.redis.zrevrange(this.keys.requestsByVendor(vendorId), 0, -1);
  }

  /** Newest first. Uses the most selective index, filters the rest while scanning. */
  async listRequests(filter: RequestFilter, cursor: number | undefined, limit: number): Promise<Page<Stored<AccessRequest>>> {
    const index = filter.personId
      ? this.keys.requestsByPerson(filter.personId)
      : filter.vendorId
        ? this.keys.requestsByVendor(filter.vendorId)
        : filter.status
          ? this.keys.requestsByStatus(filter.status)
          : this.keys.requestsIndex();
    const items: Stored<AccessRequest>[] = [];
    let from = cursor;
    for (;;) {
      const ids = await this.pageIds(index, from, Math.max(limit * 2, 50));
      if (ids.length === 0) break;
      for (const r of await this.getRequests(ids)) {
        from = r.n;
        if (filter.status && r.status !== filter.status) continue;
        if (filter.vendorId && r.vendorId !== filter.vendorId) continue;
        if (filter.personId && r.personId !== filter.personId) continue;
        items.push(r);
        if (items.length > limit) return pageOf(items, limit);
      }
    }
    return pageOf(items, limit);
  }

  /** Request ids whose validTo is at or before `until` (and after `afterMs`, when given) and that are still live. */
  dueForExpiry(untilMs: number, limit: number, afterMs?: number): Promise<string[]> {
    return this.redis.zrangebyscore(this.keys.validTo(), afterMs === undefined ? '-inf' : `(${afterMs}`, untilMs, 'LIMIT', 0, limit);
  }

  /** Request ids whose asked-for revocation is older than `untilMs` and not yet confirmed. */
  pendingRevocations(untilMs: number, limit: number): Promise<string[]> {
    return this.redis.zrangebyscore(this.keys.pendingRevocations(), '-inf', untilMs, 'LIMIT', 0, limit);
  }

  /** Active vendors whose contract end is at or before `untilMs`. */
  contractsEnded(untilMs: number, limit: number): Promise<string[]> {
    return this.redis.zrangebyscore(this.keys.contractEnds(), '-inf', untilMs, 'LIMIT', 0, limit);
  }

  /** People whose announced departure is due. */
  departuresDue(untilMs: number, limit: number): Promise<string[]> {
    return this.redis.zrangebyscore(this.keys.departures(), '-inf', untilMs, 'LIMIT', 0, limit);
  }

  /** Marks a request as reported overdue; true the first time. */
  async markOverdueReported(requestId: string): Promise<boolean> {
    return (await this.redis.sadd(this.keys.overdueReported(), requestId)) === 1;
  }

  /** Request ids in one status (all of them; used by start-up catch-up). */
  idsInStatus(status: RequestStatus): Promise<string[]> {
    return this.redis.zrange(this.keys.requestsByStatus(status), 0, -1);
  }

  /** Request ids whose disabled account is older than `untilMs` (retention). */
  dueForDeletion(untilMs: number, limit: number): Promise<string[]> {
    return this.redis.zrangebyscore(this.keys.retention(), '-inf', untilMs, 'LIMIT', 0, limit);
  }

  /** Reserves a username for a request (first come wins); returns the request that owns it. */
  async reserveUsername(username: string, requestId: string): Promise<string> {
    const key = this.keys.usernames();
    if ((await this.redis.hsetnx(key, username.toLowerCase(), requestId)) === 1) return requestId;
    return (await this.redis.hget(key, username.toLowerCase())) ?? requestId;
  }

  putVendor(multi: ChainableCommander, vendor: Stored<Vendor>, isNew: boolean): void {
    multi.set(this.keys.vendor(vendor.id), JSON.stringify(vendor));
    if (isNew) multi.zadd(this.keys.vendorsIndex(), vendor.n, vendor.id);
    if (vendor.status === 'active') multi.zadd(this.keys.contractEnds(), Date.parse(vendor.contractEndsAt), vendor.id);
    else multi.zrem(this.keys.contractEnds(), vendor.id);
  }

  putPerson(multi: ChainableCommander, person: Stored<Person>, isNew: boolean): void {
    multi.set(this.keys.person(person.id), JSON.stringify(person));
    if (person.status === 'active' && person.departureScheduledAt) multi.zadd(this.keys.departures(), Date.parse(person.departureScheduledAt), person.id);
    else multi.zrem(this.keys.departures(), person.id);
    if (isNew) multi.zadd(this.keys.peopleOfVendor(person.vendorId), person.n, person.id);
    if (isNew) multi.zadd(this.keys.peopleIndex(), person.n, person.id);
  }

  /** Writes a request and keeps every index (lists, status, validTo sweep, retention) in step. */
  putRequest(multi: ChainableCommander, request: Stored<AccessRequest>, previous: AccessRequest | null): void {
    const { keys } = this;
    multi.set(keys.request(request.id), JSON.stringify(request));
    if (!previous) {
      multi.zadd(keys.requestsIndex(), request.n, request.id);
      multi.zadd(keys.requestsByVendor(request.vendorId), request.n, request.id);
      multi.zadd(keys.requestsByPerson(request.personId), request.n, request.id);
    }
    // Only what changed: a state step touched every index (about ten commands); it now writes two to four.
    const before = previous ? this.indexesOf(previous, request.n) : new Map<string, number>();
    const after = this.indexesOf(request, request.n);
    for (const key of before.keys()) if (!after.has(key)) multi.zrem(key, request.id);
    for (const [key, score] of after) if (before.get(key) !== score) multi.zadd(key, score, request.id);
    if (previous && LIVE_STATUSES.includes(previous.status) && !LIVE_STATUSES.includes(request.status)) multi.srem(keys.overdueReported(), request.id);
  }

  /** The sorted-set indexes a request belongs to, each with its score (`n`: its place in the lists). */
  private indexesOf(request: AccessRequest, n: number): Map<string, number> {
    const { keys } = this;
    const live = LIVE_STATUSES.includes(request.status);
    const indexes = new Map<string, number>([[keys.requestsByStatus(request.status), n]]);
    if (live) indexes.set(keys.validTo(), Date.parse(request.validTo));
    if (live && request.revocation) indexes.set(keys.pendingRevocations(), Date.parse(request.revocation.requestedAt));
    if (request.account?.state === 'disabled' && request.account.disabledAt) indexes.set(keys.retention(), Date.parse(request.account.disabledAt));
    return indexes;
  }

  private pageIds(index: string, cursor: number | undefined, count: number): Promise<string[]> {
    const max = cursor === undefined ? '+inf' : `(${cursor}`;
    return this.redis.zrevrangebyscore(index, max, '-inf', 'LIMIT', 0, count);
  }
}
