import type { AuditInput } from '../audit/audit-event.js';
import type { Page, RecordQueries } from '../domain/ports/domain-store.port.js';
import { newId } from '../domain/ids.js';
import { Conflict, NotFound, PolicyViolation, type ErrorDetail } from '../errors.js';
import { decodeRoomCursor, type RoomStore, type VisitFilter } from './room-store.port.js';
import { DAY_MS, mediaFlags, type MediaItem, type RoomReview, type RoomVisit } from './room-visit.js';

export interface NewVisit {
  personId: string;
  room: string;
  purpose: string;
  /** Required: a visit without an escort is refused (escort_required). */
  escortedBy?: string | null;
  requestId?: string;
  media: MediaItem[];
}

export interface NewReview {
  from: Date;
  to: Date;
  note: string;
}

/** The narrowing another feature (evidence packs) reads the register by; times bound the entry time, both ends included. */
export interface RegisterQuery {
  personId?: string;
  requestId?: string;
  vendorId?: string;
  from?: Date | string;
  to?: Date | string;
}

/** Where the periodic review stands: `overdue` once the oldest visit no review covers is older than reviewDueDays. */
export interface ReviewStatus {
  state: 'clear' | 'pending' | 'overdue';
  /** Entry time of the oldest visit no review covers; null when every visit is covered. */
  oldestUnreviewedAt: string | null;
  /** When that visit's period must have been reviewed. */
  dueAt: string | null;
  reviewDueDays: number;
}

export interface RoomRegisterDeps {
  store: RoomStore;
  /** People, vendors and requests are read from the domain store. */
  records: Pick<RecordQueries, 'getPerson' | 'getVendor' | 'getRequest'>;
  /** policy.roomRegister.reviewDueDays */
  reviewDueDays: number;
  now: () => Date;
}

const ms = (t: Date | string) => (typeof t === 'string' ? Date.parse(t) : t.getTime());

/**
 * The machine-room register (clause 1.8): vendor staff enter a machine room
 * only escorted, with every laptop and storage medium they carry registered;
 * what they carry out is checked against it at exit, and what stays behind
 * (or leaves unregistered) is flagged. An approver signs the register off
 * period by period; the oldest visit no review covers makes the review
 * overdue once it is older than reviewDueDays. Every change commits with its
 * audit event; the events name people by id only.
 */
export class RoomRegisterService {
  constructor(private readonly deps: RoomRegisterDeps) {}

  /** Records an entry; 422 naming each rule broken (escort, person, vendor, request, already inside), audited as room.visit.refused. */
  async enter(actor: string, input: NewVisit): Promise<RoomVisit> {
    const { store, records, now } = this.deps;
    const broken: ErrorDetail[] = [];
    const escortedBy = input.escortedBy?.trim() ?? '';
    if (!escortedBy)
      broken.push({ field: 'escortedBy', rule: 'escort_required', message: 'vendor staff enter a machine room only escorted by school staff (clause 1.8)' });
    const person = await records.getPerson(input.personId);
    const vendor = person ? await records.getVendor(person.vendorId) : null;
    if (!person) broken.push({ field: 'personId', rule: 'person_exists', message: `person ${input.personId} not found` });
    else if (person.status !== 'active') broken.push({ field: 'personId', rule: 'person_active', message: 'the person has left the vendor' });
    if (person && vendor?.status !== 'active') broken.push({ field: 'personId', rule: 'vendor_active', message: "the person's vendor is not active" });
    if (input.requestId !== undefined) {
      const request = await records.getRequest(input.requestId);
      if (!request || request.personId !== input.personId)
        broken.push({ field: 'requestId', rule: 'request_of_person', message: `request ${input.requestId} is not one of this person's requests` });
    }
    if (person) {
      // One entry per person at a time: a second one before the exit would leave the first open for ever. Checked
      // here with the other rules, and again in the entry's own transaction (two entries at once).
      const [inside] = (await store.listVisits({ open: true, personId: person.id }, undefined, 1)).items;
      if (inside) broken.push(alreadyInside(inside));
    }
    if (broken.length || !person) throw await this.refuse(actor, 'room.visit.refused', `person:${input.personId}`, broken);
    const at = now();
    const n = await store.nextPosition();
    const visit: RoomVisit = {
      id: newId('vis', at.getTime()),
      n,
      personId: person.id,
      vendorId: person.vendorId,
      room: input.room,
      purpose: input.purpose,
      escortedBy,
      requestId: input.requestId ?? null,
      media: input.media,
      enteredAt: at.toISOString(),
      recordedBy: actor,
      flags: [],
    };
    const entered = await store.run<{ visit: RoomVisit } | { inside: RoomVisit }>(
      [],
      async (read) => {
        const inside = await read.openVisitOf(person.id);
        if (inside) return { events: [], result: { inside } };
        return {
          writes: (w) => w.putVisit(visit, null),
          events: [
            event(actor, 'room.visit.entered', visit, 'success', {
              personId: visit.personId,
              vendorId: visit.vendorId,
              room: visit.room,
              escortedBy,
              requestId: visit.requestId,
              media: visit.media,
            }),
          ],
          result: { visit },
        };
      },
      [person.id],
    );
    if ('inside' in entered) throw await this.refuse(actor, 'room.visit.refused', `person:${person.id}`, [alreadyInside(entered.inside)]);
    return entered.visit;
  }

  /** Records the exit and what was carried out; flags what does not match. 409 when already exited. */
  exit(actor: string, id: string, mediaOut: MediaItem[]): Promise<RoomVisit> {
    const { store, now } = this.deps;
    return store.run([id], async (read) => {
      const before = await read.visit(id);
      if (!before) throw new NotFound(`room visit ${id} not found`);
      if (before.exitedAt)
        throw new Conflict(`room visit ${id} was exited at ${before.exitedAt}`, [{ rule: 'already_exited', message: 'the exit is already recorded' }]);
      const flags = mediaFlags(before.media, mediaOut);
      const visit: RoomVisit = { ...before, exitedAt: now().toISOString(), exitRecordedBy: actor, mediaOut, flags };
      const left = flags.filter((f) => f.code === 'not_taken_out');
      const events: AuditInput[] = [event(actor, 'room.visit.exited', visit, 'success', { personId: visit.personId, mediaOut, flags })];
      if (left.length) events.push(event(actor, 'room.media.unreturned', visit, 'warning', { personId: visit.personId, room: visit.room, media: left }));
      return { writes: (w) => w.putVisit(visit, before), events, result: visit };
    });
  }

  async get(id: string): Promise<RoomVisit> {
    const visit = await this.deps.store.getVisit(id);
    if (!visit) throw new NotFound(`room visit ${id} not found`);
    return visit;
  }

  /** One page of the register, latest entry first. */
  page(filter: VisitFilter, cursor: number | undefined, limit: number): Promise<Page<RoomVisit>> {
    return this.deps.store.listVisits(filter, cursor, limit);
  }

  /** Every visit matching `q`, in order of entry (oldest first): for evidence packs. */
  async list(q: RegisterQuery = {}): Promise<RoomVisit[]> {
    const filter: VisitFilter = {
      ...(q.personId !== undefined ? { personId: q.personId } : {}),
      ...(q.requestId !== undefined ? { requestId: q.requestId } : {}),
      ...(q.vendorId !== undefined ? { vendorId: q.vendorId } : {}),
      ...(q.from !== undefined ? { fromMs: ms(q.from) } : {}),
      ...(q.to !== undefined ? { toMs: ms(q.to) } : {}),
    };
    const all: RoomVisit[] = [];
    let cursor: number | undefined;
    for (;;) {
      const page = await this.deps.store.listVisits(filter, cursor, 500);
      all.push(...page.items);
      if (!page.nextCursor) break;
      cursor = decodeRoomCursor(page.nextCursor);
    }
    return all.reverse();
  }

  /** An approver signs off the period from–to (to not in the future); the review records what the period held. */
  async signReview(actor: string, input: NewReview): Promise<RoomReview> {
    const { store, now } = this.deps;
    const at = now();
    const broken: ErrorDetail[] = [];
    if (input.from.getTime() >= input.to.getTime()) broken.push({ field: 'to', rule: 'period_order', message: 'the period must end after it starts' });
    if (input.to.getTime() > at.getTime()) broken.push({ field: 'to', rule: 'period_not_future', message: 'a period is reviewed once it is over' });
    if (broken.length) throw await this.refuse(actor, 'room.review.refused', 'room-register', broken);
    const held = await this.list({ from: input.from, to: input.to });
    const review: RoomReview = {
      id: newId('rvw', at.getTime()),
      n: await store.nextPosition(),
      from: input.from.toISOString(),
      to: input.to.toISOString(),
      note: input.note,
      signedBy: actor,
      signedAt: at.toISOString(),
      visits: held.length,
      openVisits: held.filter((v) => !v.exitedAt).length,
      flaggedVisits: held.filter((v) => v.flags.length > 0).length,
    };
    const { n: _n, ...details } = review;
    return store.run([], () =>
      Promise.resolve({
        writes: (w) => w.putReview(review),
        events: [{ actor, action: 'room.review.signed', subject: `room-review:${review.id}`, outcome: 'success', details }],
        result: review,
      }),
    );
  }

  /** Every review, latest signed first, and where the review stands now. */
  async reviews(): Promise<{ items: RoomReview[]; status: ReviewStatus }> {
    const items = await this.deps.store.listReviews();
    return { items, status: await this.status(this.deps.now(), items) };
  }

  /**
   * The period whose review is overdue at `now`: it starts at the oldest
   * visit no review covers, and was due reviewDueDays after it; null when
   * none is overdue. The notifier sends `room.review_overdue` from it.
   */
  async overdueReview(now: Date): Promise<{ periodStart: string; dueAt: string } | null> {
    const status = await this.status(now);
    return status.state === 'overdue' ? { periodStart: status.oldestUnreviewedAt!, dueAt: status.dueAt! } : null;
  }

  private async status(now: Date, reviews?: RoomReview[]): Promise<ReviewStatus> {
    const { reviewDueDays } = this.deps;
    const oldest = await this.oldestUnreviewed(reviews ?? (await this.deps.store.listReviews()));
    if (!oldest) return { state: 'clear', oldestUnreviewedAt: null, dueAt: null, reviewDueDays };
    const dueAt = Date.parse(oldest.enteredAt) + reviewDueDays * DAY_MS;
    return {
      state: dueAt <= now.getTime() ? 'overdue' : 'pending',
      oldestUnreviewedAt: oldest.enteredAt,
      dueAt: new Date(dueAt).toISOString(),
      reviewDueDays,
    };
  }

  /** The earliest visit entered in none of the reviewed periods (both ends included): one range query per gap between them. */
  private async oldestUnreviewed(reviews: RoomReview[]): Promise<RoomVisit | null> {
    const periods = reviews.map((r) => [Date.parse(r.from), Date.parse(r.to)] as const).sort((a, b) => a[0] - b[0]);
    let gapStart = 0;
    for (const [from, to] of periods) {
      if (from > gapStart) {
        const visit = await this.deps.store.firstVisitIn(gapStart, from);
        if (visit) return visit;
      }
      gapStart = Math.max(gapStart, to + 1);
    }
    return this.deps.store.firstVisitIn(gapStart, Infinity);
  }

  private async refuse(actor: string, action: string, subject: string, broken: ErrorDetail[]): Promise<PolicyViolation> {
    await this.deps.store.append({ actor, action, subject, outcome: 'refused', details: { rules: broken.map((b) => b.rule), broken } });
    return new PolicyViolation(`refused: ${broken.map((b) => b.rule).join(', ')}`, broken);
  }
}

function alreadyInside(inside: RoomVisit): ErrorDetail {
  return {
    field: 'personId',
    rule: 'already_inside',
    message: `the person is still inside ${inside.room} (visit ${inside.id}, entered ${inside.enteredAt}): record that exit first`,
  };
}

function event(actor: string, action: string, visit: RoomVisit, outcome: AuditInput['outcome'], details: Record<string, unknown>): AuditInput {
  return { actor, action, subject: `room-visit:${visit.id}`, outcome, details };
}
