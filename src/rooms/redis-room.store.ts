import type { ChainableCommander, Redis } from 'ioredis';
import type { AuditInput } from '../audit/audit-event.js';
import type { Page } from '../domain/ports/domain-store.port.js';
import type { RedisKeys } from '../store/redis-keys.js';
import type { Transactor } from '../store/transactor.js';
import { visitMatches, visitPage, type RoomDecision, type RoomReader, type RoomStore, type VisitFilter } from './room-store.port.js';
import { scoreAtOrAfter, scoreAtOrBefore, visitScore, type RoomReview, type RoomVisit } from './room-visit.js';

/**
 * Every Redis key of the register, under RedisKeys' `room` root:
 * - `room:visit:<id>`, `room:review:<id>` records (JSON);
 * - `room:idx:*` visit indexes scored by entry time (visitScore): all, open,
 *   per person, per vendor, per request — so a period is one range query;
 * - `room:reviews` review ids by list position; `room:seq` list positions.
 */
export class RoomKeys {
  constructor(private readonly keys: RedisKeys) {}
  visit = (id: string) => this.keys.rooms('visit', id);
  review = (id: string) => this.keys.rooms('review', id);
  all = () => this.keys.rooms('idx', 'all');
  open = () => this.keys.rooms('idx', 'open');
  byPerson = (personId: string) => this.keys.rooms('idx', 'person', personId);
  byVendor = (vendorId: string) => this.keys.rooms('idx', 'vendor', vendorId);
  byRequest = (requestId: string) => this.keys.rooms('idx', 'request', requestId);
  reviews = () => this.keys.rooms('reviews');
  sequence = () => this.keys.rooms('seq');
}

const parse = <T>(raw: string | null): T | null => (raw === null ? null : (JSON.parse(raw) as T));

/**
 * The register in Redis. Reads go to the service's main connection; every
 * change goes through the Transactor, so it commits in one MULTI/EXEC with
 * its audit events, chained after everything committed before.
 */
export class RedisRoomStore implements RoomStore {
  private readonly k: RoomKeys;

  constructor(private readonly deps: { redis: Redis; keys: RedisKeys; tx: Transactor }) {
    this.k = new RoomKeys(deps.keys);
  }

  run<T>(lockVisits: string[], decide: (read: RoomReader) => Promise<RoomDecision<T>>, lockPeople: string[] = []): Promise<T> {
    return this.deps.tx.run(
      // A person's index changes with each of their entries: watching it serialises two entries of one person.
      [...lockVisits.map((id) => this.k.visit(id)), ...lockPeople.map((id) => this.k.byPerson(id))],
      async (redis) => {
        const decision = await decide({
          visit: async (id) => parse<RoomVisit>(await redis.get(this.k.visit(id))),
          openVisitOf: (personId) => this.openVisitOf(redis, personId),
        });
        const { writes } = decision;
        return {
          writes: writes && ((multi) => writes({ putVisit: (v, prev) => this.putVisit(multi, v, prev), putReview: (r) => this.putReview(multi, r) })),
          events: decision.events,
          result: decision.result,
        };
      },
    );
  }

  append(...events: AuditInput[]): Promise<void> {
    return this.deps.tx.append(...events);
  }

  nextPosition(): Promise<number> {
    return this.deps.redis.incr(this.k.sequence());
  }

  async getVisit(id: string): Promise<RoomVisit | null> {
    return parse(await this.deps.redis.get(this.k.visit(id)));
  }

  /** Scans the most selective index newest first within the period, filtering the rest, until a page (and one more) is found. */
  async listVisits(filter: VisitFilter, cursor: number | undefined, limit: number): Promise<Page<RoomVisit>> {
    const { redis } = this.deps;
    const index = this.indexFor(filter);
    const min = filter.fromMs === undefined ? '-inf' : scoreAtOrAfter(filter.fromMs);
    const top = filter.toMs === undefined ? '+inf' : String(scoreAtOrBefore(filter.toMs));
    // Scores are whole numbers, so "below the cursor" is exact.
    let upper = cursor !== undefined && (top === '+inf' || cursor <= Number(top)) ? `(${cursor}` : top;
    const found: { item: RoomVisit; score: number }[] = [];
    const batch = Math.max(limit * 2, 50);
    for (;;) {
      const ids = await redis.zrevrangebyscore(index, upper, min, 'WITHSCORES', 'LIMIT', 0, batch);
      if (ids.length === 0) break;
      const pairs: [string, number][] = [];
      for (let i = 0; i < ids.length; i += 2) pairs.push([ids[i]!, Number(ids[i + 1])]);
      const raws = await redis.mget(pairs.map(([id]) => this.k.visit(id)));
      for (let i = 0; i < pairs.length; i++) {
        const visit = parse<RoomVisit>(raws[i] ?? null);
        const score = pairs[i]![1];
        upper = `(${score}`;
        if (!visit || !visitMatches(visit, filter)) continue;
        found.push({ item: visit, score });
        if (found.length > limit) return visitPage(found, limit);
      }
      if (pairs.length < batch) break;
    }
    return visitPage(found, limit);
  }

  async firstVisitIn(fromMs: number, beforeMs: number): Promise<RoomVisit | null> {
    if (beforeMs <= fromMs) return null;
    const below = beforeMs === Infinity ? '+inf' : `(${scoreAtOrAfter(beforeMs)}`;
    const [id] = await this.deps.redis.zrangebyscore(this.k.all(), scoreAtOrAfter(fromMs), below, 'LIMIT', 0, 1);
    return id === undefined ? null : this.getVisit(id);
  }

  async listReviews(): Promise<RoomReview[]> {
    const ids = await this.deps.redis.zrevrange(this.k.reviews(), 0, -1);
    if (ids.length === 0) return [];
    const raws = await this.deps.redis.mget(ids.map(this.k.review));
    return raws.flatMap((raw) => (raw === null ? [] : [JSON.parse(raw) as RoomReview]));
  }

  /** From the open index (the people inside a room now: a short list), the one visit of this person. */
  private async openVisitOf(redis: Redis, personId: string): Promise<RoomVisit | null> {
    const ids = await redis.zrange(this.k.open(), 0, -1);
    if (ids.length === 0) return null;
    const raws = await redis.mget(ids.map(this.k.visit));
    for (const raw of raws) {
      const visit = parse<RoomVisit>(raw ?? null);
      if (visit && visit.personId === personId && visit.exitedAt === undefined) return visit;
    }
    return null;
  }

  private indexFor(f: VisitFilter): string {
    if (f.requestId !== undefined) return this.k.byRequest(f.requestId);
    if (f.personId !== undefined) return this.k.byPerson(f.personId);
    if (f.open === true) return this.k.open();
    if (f.vendorId !== undefined) return this.k.byVendor(f.vendorId);
    return this.k.all();
  }

  private putVisit(multi: ChainableCommander, visit: RoomVisit, previous: RoomVisit | null): void {
    const score = visitScore(Date.parse(visit.enteredAt), visit.n);
    multi.set(this.k.visit(visit.id), JSON.stringify(visit));
    if (!previous) {
      multi.zadd(this.k.all(), score, visit.id);
      multi.zadd(this.k.byPerson(visit.personId), score, visit.id);
      multi.zadd(this.k.byVendor(visit.vendorId), score, visit.id);
      if (visit.requestId) multi.zadd(this.k.byRequest(visit.requestId), score, visit.id);
    }
    if (visit.exitedAt === undefined) multi.zadd(this.k.open(), score, visit.id);
    else multi.zrem(this.k.open(), visit.id);
  }

  private putReview(multi: ChainableCommander, review: RoomReview): void {
    multi.set(this.k.review(review.id), JSON.stringify(review));
    multi.zadd(this.k.reviews(), review.n, review.id);
  }
}
