import type { AuditInput } from '../audit/audit-event.js';
import type { AuditLog } from '../domain/ports/audit-log.port.js';
import type { Page } from '../domain/ports/domain-store.port.js';
import { indexIn, SortedIndex } from '../store/memory/sorted-index.js';
import { visitMatches, visitPage, type RoomDecision, type RoomReader, type RoomStore, type RoomWriter, type VisitFilter } from './room-store.port.js';
import { scoreAtOrAfter, scoreAtOrBefore, visitScore, type RoomReview, type RoomVisit } from './room-visit.js';

/**
 * The register in memory, for unit tests of the service: same semantics as
 * RedisRoomStore (test/contract/room-store.contract.ts). Units of work run
 * one after another; a decision's writes apply only once its audit events
 * are appended to `audit` (a MemoryDomainStore, whose chain the tests read).
 */
export class MemoryRoomStore implements RoomStore {
  private tail: Promise<unknown> = Promise.resolve();
  private readonly visits = new Map<string, string>();
  private readonly reviews = new Map<string, string>();
  private readonly all = new SortedIndex();
  private readonly open = new SortedIndex();
  private readonly byPerson = new Map<string, SortedIndex>();
  private readonly byVendor = new Map<string, SortedIndex>();
  private readonly byRequest = new Map<string, SortedIndex>();
  private sequence = 0;

  constructor(private readonly audit: AuditLog) {}

  run<T>(_lockVisits: string[], decide: (read: RoomReader) => Promise<RoomDecision<T>>, _lockPeople: string[] = []): Promise<T> {
    const next = this.tail.then(async () => {
      const decision = await decide({
        visit: (id) => this.getVisit(id),
        openVisitOf: async (personId) => (await this.listVisits({ open: true, personId }, undefined, 1)).items[0] ?? null,
      });
      const planned: (() => void)[] = [];
      decision.writes?.({
        putVisit: (v, prev) => planned.push(() => this.putVisit(v, prev)),
        putReview: (r) => planned.push(() => this.reviews.set(r.id, JSON.stringify(r))),
      } satisfies RoomWriter);
      await this.audit.append(...decision.events);
      for (const write of planned) write();
      return decision.result;
    });
    this.tail = next.catch(() => undefined);
    return next;
  }

  append(...events: AuditInput[]): Promise<void> {
    return this.audit.append(...events);
  }

  nextPosition(): Promise<number> {
    return Promise.resolve(++this.sequence);
  }

  getVisit(id: string): Promise<RoomVisit | null> {
    const raw = this.visits.get(id);
    return Promise.resolve(raw === undefined ? null : (JSON.parse(raw) as RoomVisit));
  }

  async listVisits(filter: VisitFilter, cursor: number | undefined, limit: number): Promise<Page<RoomVisit>> {
    const index = this.indexFor(filter);
    const min = filter.fromMs === undefined ? -Infinity : scoreAtOrAfter(filter.fromMs);
    const max = filter.toMs === undefined ? Infinity : scoreAtOrBefore(filter.toMs);
    const found: { item: RoomVisit; score: number }[] = [];
    for (const id of index.descendingBelow(cursor, Number.MAX_SAFE_INTEGER)) {
      const score = index.score(id)!;
      if (score > max) continue;
      if (score < min) break;
      const visit = await this.getVisit(id);
      if (!visit || !visitMatches(visit, filter)) continue;
      found.push({ item: visit, score });
      if (found.length > limit) break;
    }
    return visitPage(found, limit);
  }

  async firstVisitIn(fromMs: number, beforeMs: number): Promise<RoomVisit | null> {
    const id = this.all.ascending().find((m) => {
      const score = this.all.score(m)!;
      return score >= scoreAtOrAfter(fromMs) && score < scoreAtOrAfter(beforeMs);
    });
    return id === undefined ? null : this.getVisit(id);
  }

  listReviews(): Promise<RoomReview[]> {
    const reviews = [...this.reviews.values()].map((raw) => JSON.parse(raw) as RoomReview);
    return Promise.resolve(reviews.sort((a, b) => b.n - a.n));
  }

  private indexFor(f: VisitFilter): SortedIndex {
    if (f.requestId !== undefined) return indexIn(this.byRequest, f.requestId);
    if (f.personId !== undefined) return indexIn(this.byPerson, f.personId);
    if (f.open === true) return this.open;
    if (f.vendorId !== undefined) return indexIn(this.byVendor, f.vendorId);
    return this.all;
  }

  private putVisit(visit: RoomVisit, previous: RoomVisit | null): void {
    const score = visitScore(Date.parse(visit.enteredAt), visit.n);
    this.visits.set(visit.id, JSON.stringify(visit));
    if (!previous) {
      this.all.add(visit.id, score);
      indexIn(this.byPerson, visit.personId).add(visit.id, score);
      indexIn(this.byVendor, visit.vendorId).add(visit.id, score);
      if (visit.requestId) indexIn(this.byRequest, visit.requestId).add(visit.id, score);
    }
    if (visit.exitedAt === undefined) this.open.add(visit.id, score);
    else this.open.remove(visit.id);
  }
}
