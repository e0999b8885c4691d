import { describe, expect, it } from 'vitest';
import { Conflict, NotFound, PolicyViolation } from '../../../src/errors.js';
import { MemoryRoomStore } from '../../../src/rooms/memory-room.store.js';
import { RoomRegisterService, type NewVisit } from '../../../src/rooms/room-register.service.js';
import { mediaFlags } from '../../../src/rooms/room-visit.js';
import { DAY, OPS, rejection, ServiceWorld, SUPERVISOR } from '../../support/service-world.js';

function roomWorld(reviewDueDays = 31) {
  const world = new ServiceWorld();
  const register = new RoomRegisterService({ store: new MemoryRoomStore(world.store), records: world.store, reviewDueDays, now: world.clock.now });
  return { world, register };
}

function visitOf(personId: string, over: Partial<NewVisit> = {}): NewVisit {
  return {
    personId,
    room: 'B1 machine room',
    purpose: 'replace a failed disk in erp-db01',
    escortedBy: 'ops-carol',
    media: [
      { kind: 'laptop', description: 'ThinkPad T14', serial: 'PF-123' },
      { kind: 'usb', description: 'SanDisk 64 GB' },
    ],
    ...over,
  };
}

function rules(err: Error): string[] {
  expect(err).toBeInstanceOf(PolicyViolation);
  return (err as PolicyViolation).details.map((d) => `${d.field}:${d.rule}`);
}

describe('machine-room register', () => {
  describe('media check at exit', () => {
    it('matches by serial when given, else by kind and description ignoring case and width, one item out for one in', () => {
      const usb = { kind: 'usb' as const, description: 'SanDisk 64 GB' };
      const flags = mediaFlags(
        [{ kind: 'laptop', description: 'ThinkPad', serial: 'PF-1' }, usb, usb],
        [
          { kind: 'laptop', description: 'a different label', serial: 'pf-1' },
          { kind: 'usb', description: 'ｓａｎｄｉｓｋ 64 gb' },
        ],
      );
      expect(flags).toEqual([{ code: 'not_taken_out', ...usb }]);
    });

    it('flags a serial-numbered item whose serial does not come out, and an item carried out that never came in', () => {
      const flags = mediaFlags([{ kind: 'disk', description: 'spare disk', serial: 'S1' }], [{ kind: 'disk', description: 'spare disk', serial: 'S2' }]);
      expect(flags.map((f) => [f.code, f.serial])).toEqual([
        ['not_taken_out', 'S1'],
        ['not_brought_in', 'S2'],
      ]);
    });
  });

  describe('entry', () => {
    it('records an escorted visit with its media, the vendor taken from the person, and audits it by id only', async () => {
      const { world, register } = roomWorld();
      const { vendor, person } = await world.vendorWithPerson({ fullName: '陳大文' });
      const mark = world.mark();
      const visit = await register.enter(OPS, visitOf(person.id));
      expect(visit).toMatchObject({
        personId: person.id,
        vendorId: vendor.id,
        escortedBy: 'ops-carol',
        requestId: null,
        recordedBy: OPS,
        enteredAt: world.clock.now().toISOString(),
        flags: [],
      });
      expect(visit.exitedAt).toBeUndefined();
      expect(world.eventsSince(mark)).toEqual([['room.visit.entered', `room-visit:${visit.id}`, 'success']]);
      expect(JSON.stringify(world.events().at(-1))).not.toContain('陳大文');
      world.expectChainIntact();
    });

    it('refuses a visit without an escort, blank or missing, naming escortedBy, and audits the refusal', async () => {
      const { world, register } = roomWorld();
      const { person } = await world.vendorWithPerson();
      for (const escortedBy of [undefined, null, '   ']) {
        const err = await rejection(register.enter(OPS, visitOf(person.id, { escortedBy })));
        expect(rules(err)).toEqual(['escortedBy:escort_required']);
      }
      expect(world.events().at(-1)).toMatchObject({ action: 'room.visit.refused', outcome: 'refused', details: { rules: ['escort_required'] } });
      expect((await register.page({}, undefined, 10)).items).toEqual([]);
    });

    it('refuses an unknown or departed person, a terminated vendor, and a request of someone else', async () => {
      const { world, register } = roomWorld();
      const { vendor, person } = await world.vendorWithPerson();
      const other = await world.vendors.addPerson(OPS, vendor.id, {
        fullName: 'Bo',
        email: 'bo@acme.example',
        ndaSignedAt: new Date(world.clock.now().getTime() - DAY),
        ndaRef: 'N-2',
      });
      const othersRequest = await world.requests.file(OPS, world.terms(other.id));
      expect(rules(await rejection(register.enter(OPS, visitOf('per_nope'))))).toEqual(['personId:person_exists']);
      expect(rules(await rejection(register.enter(OPS, visitOf(person.id, { requestId: othersRequest.id }))))).toEqual(['requestId:request_of_person']);
      expect(rules(await rejection(register.enter(OPS, visitOf(person.id, { requestId: 'req_nope' }))))).toEqual(['requestId:request_of_person']);
      const own = await world.requests.file(OPS, world.terms(person.id));
      const ownVisit = await register.enter(OPS, visitOf(person.id, { requestId: own.id }));
      expect(ownVisit.requestId).toBe(own.id);
      await register.exit(OPS, ownVisit.id, ownVisit.media);

      await world.vendors.departure(OPS, other.id, 'left');
      expect(rules(await rejection(register.enter(OPS, visitOf(other.id))))).toContain('personId:person_active');
      await world.vendors.terminate(SUPERVISOR, vendor.id, 'contract ended');
      expect(rules(await rejection(register.enter(OPS, visitOf(person.id, { escortedBy: '' }))))).toEqual([
        'escortedBy:escort_required',
        'personId:vendor_active',
      ]);
    });
  });

  describe('exit', () => {
    it('records the media carried out and flags what stayed behind, audited as exited and unreturned in one step', async () => {
      const { world, register } = roomWorld();
      const { person } = await world.vendorWithPerson();
      const visit = await register.enter(OPS, visitOf(person.id));
      world.clock.advance(3_600_000);
      const mark = world.mark();
      const exited = await register.exit('ops-dave', visit.id, [{ kind: 'laptop', description: 'ThinkPad T14', serial: 'PF-123' }]);
      expect(exited).toMatchObject({ exitedAt: world.clock.now().toISOString(), exitRecordedBy: 'ops-dave' });
      expect(exited.flags).toEqual([{ code: 'not_taken_out', kind: 'usb', description: 'SanDisk 64 GB' }]);
      expect(world.eventsSince(mark)).toEqual([
        ['room.visit.exited', `room-visit:${visit.id}`, 'success'],
        ['room.media.unreturned', `room-visit:${visit.id}`, 'warning'],
      ]);
      world.expectChainIntact();
    });

    it('refuses a second entry of a person still inside, naming the open visit, until its exit is recorded', async () => {
      const { world, register } = roomWorld();
      const { person } = await world.vendorWithPerson();
      const first = await register.enter(OPS, visitOf(person.id));
      const err = await rejection(register.enter(OPS, visitOf(person.id, { room: 'A2 network room' })));
      expect(rules(err)).toEqual(['personId:already_inside']);
      expect((err as PolicyViolation).details[0]!.message).toContain(first.id);
      expect(world.events().at(-1)).toMatchObject({ action: 'room.visit.refused', outcome: 'refused', details: { rules: ['already_inside'] } });
      await register.exit(OPS, first.id, first.media);
      expect((await register.enter(OPS, visitOf(person.id, { room: 'A2 network room' }))).room).toBe('A2 network room');
    });

    it('refuses a second exit (409) and an unknown visit (404), changing nothing', async () => {
      const { world, register } = roomWorld();
      const { person } = await world.vendorWithPerson();
      const visit = await register.enter(OPS, visitOf(person.id, { media: [] }));
      const first = await register.exit(OPS, visit.id, []);
      expect(first.flags).toEqual([]);
      const mark = world.mark();
      expect(await rejection(register.exit(OPS, visit.id, [{ kind: 'usb', description: 'x' }]))).toBeInstanceOf(Conflict);
      expect(await rejection(register.exit(OPS, 'vis_nope', []))).toBeInstanceOf(NotFound);
      expect(world.mark()).toBe(mark);
      expect(await register.get(visit.id)).toEqual(first);
    });
  });

  describe('lists', () => {
    it('pages newest first and narrows by open, person, vendor, request and entry time', async () => {
      const { world, register } = roomWorld();
      const a = await world.vendorWithPerson();
      const b = await world.vendorWithPerson();
      const request = await world.requests.file(OPS, world.terms(a.person.id));
      const t0 = world.clock.now();
      const v1 = await register.enter(OPS, visitOf(a.person.id, { requestId: request.id }));
      world.clock.advance(DAY);
      const v2 = await register.enter(OPS, visitOf(b.person.id));
      world.clock.advance(DAY);
      await register.exit(OPS, v1.id, []);
      const v3 = await register.enter(OPS, visitOf(a.person.id));
      const ids = async (f: Parameters<RoomRegisterService['page']>[0]) => (await register.page(f, undefined, 50)).items.map((v) => v.id);
      expect(await ids({})).toEqual([v3.id, v2.id, v1.id]);
      expect(await ids({ open: true })).toEqual([v3.id, v2.id]);
      expect(await ids({ open: false })).toEqual([v1.id]);
      expect(await ids({ personId: a.person.id })).toEqual([v3.id, v1.id]);
      expect(await ids({ vendorId: b.vendor.id })).toEqual([v2.id]);
      expect(await ids({ requestId: request.id })).toEqual([v1.id]);
      expect(await ids({ fromMs: t0.getTime() + DAY, toMs: t0.getTime() + DAY })).toEqual([v2.id]);
      const first = await register.page({}, undefined, 2);
      expect(first.items.map((v) => v.id)).toEqual([v3.id, v2.id]);
      const { decodeRoomCursor } = await import('../../../src/rooms/room-store.port.js');
      const second = await register.page({}, decodeRoomCursor(first.nextCursor!), 2);
      expect([second.items.map((v) => v.id), second.nextCursor]).toEqual([[v1.id], null]);
      expect((await register.list({ personId: a.person.id })).map((v) => v.id)).toEqual([v1.id, v3.id]);
      expect((await register.list({ vendorId: a.vendor.id, from: t0, to: new Date(t0.getTime() + DAY) })).map((v) => v.id)).toEqual([v1.id]);
    });
  });

  describe('periodic review', () => {
    it('is overdue once the oldest visit no review covers is older than reviewDueDays, and clear after a sign-off', async () => {
      const { world, register } = roomWorld(31);
      const { person } = await world.vendorWithPerson();
      expect((await register.reviews()).status.state).toBe('clear');
      const start = world.clock.now();
      const visit = await register.enter(OPS, visitOf(person.id));
      await register.exit(OPS, visit.id, []);
      world.clock.advance(31 * DAY - 1);
      expect(await register.overdueReview(world.clock.now())).toBeNull();
      expect((await register.reviews()).status).toMatchObject({ state: 'pending', oldestUnreviewedAt: visit.enteredAt });
      world.clock.advance(1);
      const due = { periodStart: visit.enteredAt, dueAt: new Date(start.getTime() + 31 * DAY).toISOString() };
      expect(await register.overdueReview(world.clock.now())).toEqual(due);
      expect((await register.reviews()).status).toMatchObject({ state: 'overdue', ...{ oldestUnreviewedAt: due.periodStart, dueAt: due.dueAt } });

      const mark = world.mark();
      const review = await register.signReview(SUPERVISOR, { from: start, to: new Date(start.getTime() + 30 * DAY), note: 'all media accounted for' });
      expect(review).toMatchObject({ signedBy: SUPERVISOR, visits: 1, openVisits: 0, flaggedVisits: 1 });
      expect(world.eventsSince(mark)).toEqual([['room.review.signed', `room-review:${review.id}`, 'success']]);
      expect(await register.overdueReview(world.clock.now())).toBeNull();
      expect(await register.reviews()).toMatchObject({ items: [review], status: { state: 'clear' } });
      world.expectChainIntact();
    });

    it('finds an unreviewed visit in a gap between reviewed periods', async () => {
      const { world, register } = roomWorld(10);
      const { person } = await world.vendorWithPerson();
      const t0 = world.clock.now().getTime();
      const visitAndLeave = async () => {
        const v = await register.enter(OPS, visitOf(person.id));
        await register.exit(OPS, v.id, v.media);
        return v;
      };
      await visitAndLeave();
      world.clock.advance(5 * DAY);
      const gap = await visitAndLeave();
      world.clock.advance(5 * DAY);
      await visitAndLeave();
      world.clock.advance(20 * DAY);
      await register.signReview(SUPERVISOR, { from: new Date(t0 + 8 * DAY), to: new Date(t0 + 12 * DAY), note: 'second week' });
      await register.signReview(SUPERVISOR, { from: new Date(t0), to: new Date(t0 + 4 * DAY), note: 'first week' });
      expect(await register.overdueReview(world.clock.now())).toEqual({ periodStart: gap.enteredAt, dueAt: new Date(t0 + 15 * DAY).toISOString() });
    });

    it('refuses a period that ends before it starts or in the future, naming the rule', async () => {
      const { world, register } = roomWorld();
      const now = world.clock.now().getTime();
      const before = world.mark();
      expect(rules(await rejection(register.signReview(SUPERVISOR, { from: new Date(now - DAY), to: new Date(now - 2 * DAY), note: 'x' })))).toEqual([
        'to:period_order',
      ]);
      expect(rules(await rejection(register.signReview(SUPERVISOR, { from: new Date(now - DAY), to: new Date(now + 1), note: 'x' })))).toEqual([
        'to:period_not_future',
      ]);
      expect(world.eventsSince(before).map(([action, , outcome]) => `${action}:${outcome}`)).toEqual([
        'room.review.refused:refused',
        'room.review.refused:refused',
      ]);
      expect((await register.reviews()).items).toEqual([]);
    });
  });
});
