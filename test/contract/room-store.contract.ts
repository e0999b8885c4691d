import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AuditEvent } from '../../src/audit/audit-event.js';
import { decodeRoomCursor, type RoomStore, type VisitFilter } from '../../src/rooms/room-store.port.js';
import type { RoomReview, RoomVisit } from '../../src/rooms/room-visit.js';
import { followPages } from '../support/follow-pages.js';

/** Everything the suite needs from one room store implementation, fresh and empty for each test. */
export interface RoomStoreContractContext {
  rooms: RoomStore;
  /** The audit trail as stored, oldest first. */
  auditTrail(): Promise<AuditEvent[]>;
  cleanup(): Promise<void>;
}

const T0 = Date.parse('2030-03-01T08:00:00.000Z');
const HOUR = 3_600_000;

function visit(n: number, enteredAtMs: number, over: Partial<RoomVisit> = {}): RoomVisit {
  return {
    id: `vis_${String(n).padStart(4, '0')}`,
    n,
    personId: 'per_a',
    vendorId: 'ven_a',
    room: 'B1',
    purpose: 'disk swap',
    escortedBy: 'ops-carol',
    requestId: null,
    media: [],
    enteredAt: new Date(enteredAtMs).toISOString(),
    recordedBy: 'ops-alice',
    flags: [],
    ...over,
  };
}

/**
 * The one room store contract (STYLE.md §3): a RoomStore keeps visits,
 * their indexes and reviews, commits each change with its audit events or
 * not at all, and pages by entry time exactly.
 */
export function roomStoreContract(name: string, makeContext: () => Promise<RoomStoreContractContext>): void {
  describe(`room store contract: ${name}`, () => {
    let ctx: RoomStoreContractContext;
    let rooms: RoomStore;
    beforeEach(async () => {
      ctx = await makeContext();
      rooms = ctx.rooms;
    });
    afterEach(async () => ctx.cleanup());

    const put = (v: RoomVisit, previous: RoomVisit | null = null) =>
      rooms.run([v.id], () =>
        Promise.resolve({
          writes: (w) => w.putVisit(v, previous),
          events: [{ actor: 'ops-alice', action: 'room.visit.entered', subject: `room-visit:${v.id}`, outcome: 'success' as const, details: {} }],
          result: v,
        }),
      );
    const ids = async (f: VisitFilter, limit = 50) => (await followPages((c) => rooms.listVisits(f, c, limit), decodeRoomCursor)).flat().map((v) => v.id);

    it('commits a visit with its audit event and lists it in every index it belongs to; an exit leaves the open index', async () => {
      const v = visit(1, T0, { requestId: 'req_1' });
      await put(v);
      expect(await rooms.getVisit(v.id)).toEqual(v);
      expect((await ctx.auditTrail()).map((e) => [e.action, e.subject])).toEqual([['room.visit.entered', `room-visit:${v.id}`]]);
      for (const f of [{}, { open: true }, { personId: 'per_a' }, { vendorId: 'ven_a' }, { requestId: 'req_1' }]) expect(await ids(f)).toEqual([v.id]);
      expect(await ids({ personId: 'per_b' })).toEqual([]);
      const exited = { ...v, exitedAt: new Date(T0 + HOUR).toISOString(), mediaOut: [] };
      await put(exited, v);
      expect(await ids({ open: true })).toEqual([]);
      expect(await ids({ open: false, requestId: 'req_1' })).toEqual([v.id]);
      expect(await rooms.getVisit(v.id)).toEqual(exited);
    });

    it('commits nothing, neither the visit nor its events, when the decision throws', async () => {
      await expect(
        rooms.run([], () => {
          throw new Error('refused');
        }),
      ).rejects.toThrow('refused');
      expect(await rooms.getVisit('vis_0001')).toBeNull();
      expect(await ctx.auditTrail()).toEqual([]);
    });

    it('pages latest entry first through visits entered in the same millisecond, each once, and bounds the entry time at both ends', async () => {
      const all: RoomVisit[] = [];
      for (let n = 1; n <= 9; n++) all.push(await put(visit(n, T0 + Math.floor((n - 1) / 3) * HOUR, { personId: n % 2 ? 'per_a' : 'per_b' })));
      const newest = [...all].sort((a, b) => Date.parse(b.enteredAt) - Date.parse(a.enteredAt) || b.n - a.n).map((v) => v.id);
      expect(await ids({}, 2)).toEqual(newest);
      expect(await ids({ personId: 'per_b' }, 1)).toEqual(newest.filter((id) => Number(id.slice(4)) % 2 === 0));
      expect(await ids({ fromMs: T0 + HOUR, toMs: T0 + HOUR }, 2)).toEqual(['vis_0006', 'vis_0005', 'vis_0004']);
      expect(await ids({ toMs: T0 }, 2)).toEqual(['vis_0003', 'vis_0002', 'vis_0001']);
    });

    it('finds the first visit entered in a half-open period', async () => {
      await put(visit(1, T0));
      await put(visit(2, T0 + HOUR));
      expect((await rooms.firstVisitIn(0, Infinity))?.id).toBe('vis_0001');
      expect((await rooms.firstVisitIn(T0 + 1, Infinity))?.id).toBe('vis_0002');
      expect(await rooms.firstVisitIn(T0 + 1, T0 + HOUR)).toBeNull();
      expect((await rooms.firstVisitIn(T0, T0 + 1))?.id).toBe('vis_0001');
    });

    it('lists reviews latest signed first and hands out rising list positions', async () => {
      const [a, b] = [await rooms.nextPosition(), await rooms.nextPosition()];
      expect(b).toBeGreaterThan(a);
      const review = (n: number): RoomReview => ({
        id: `rvw_${n}`,
        n,
        from: new Date(T0).toISOString(),
        to: new Date(T0 + HOUR).toISOString(),
        note: 'ok',
        signedBy: 'sup-bob',
        signedAt: new Date(T0 + 2 * HOUR).toISOString(),
        visits: 0,
        openVisits: 0,
        flaggedVisits: 0,
      });
      for (const n of [a, b])
        await rooms.run([], () =>
          Promise.resolve({
            writes: (w) => w.putReview(review(n)),
            events: [{ actor: 'sup-bob', action: 'room.review.signed', subject: `room-review:rvw_${n}`, outcome: 'success' as const, details: {} }],
            result: null,
          }),
        );
      expect((await rooms.listReviews()).map((r) => r.id)).toEqual([`rvw_${b}`, `rvw_${a}`]);
    });
  });
}
