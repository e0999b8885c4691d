import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Conflict, PolicyViolation } from '../../src/errors.js';
import { DAY, OPS, rejection, ServiceWorld, SUPERVISOR } from '../support/service-world.js';

describe('VendorService', () => {
  let world: ServiceWorld;
  beforeEach(() => {
    world = new ServiceWorld();
  });
  afterEach(() => world.expectChainIntact());

  describe('vendors and people', () => {
    it('creates a vendor and registers its people, auditing ids and the NDA but no personal data', async () => {
      const endsAt = new Date(world.clock.now().getTime() + 90 * DAY);
      const vendor = await world.vendors.createVendor(OPS, { name: 'Acme', contractRef: 'C-9', contractEndsAt: endsAt });
      expect(vendor).toMatchObject({ status: 'active', contractEndsAt: endsAt.toISOString(), createdBy: OPS });
      expect((await world.store.searchVendors('', undefined, 10)).items).toEqual([vendor]);
      expect(await world.store.contractsEnded(endsAt.getTime(), 10)).toEqual([vendor.id]);

      const ndaSignedAt = new Date(world.clock.now().getTime() - DAY);
      const person = await world.vendors.addPerson(OPS, vendor.id, {
        fullName: 'Bo Jansen',
        email: 'bo@acme.example',
        phone: '+31 6 1234',
        ndaSignedAt,
        ndaRef: 'NDA-12',
      });
      expect(person).toMatchObject({ vendorId: vendor.id, status: 'active', phone: '+31 6 1234', ndaRef: 'NDA-12' });
      expect(await world.store.peopleOfVendor(vendor.id)).toEqual([person]);
      expect(await world.vendors.getPerson(person.id)).toEqual(person);

      expect(world.eventsSince(0)).toEqual([
        ['vendor.created', `vendor:${vendor.id}`, 'success'],
        ['person.registered', `person:${person.id}`, 'success'],
      ]);
      const trail = JSON.stringify(world.events());
      for (const personal of ['Bo Jansen', 'bo@acme.example', '+31 6 1234']) expect(trail).not.toContain(personal);
    });

    it('refuses an NDA signed in the future (422, audited, nobody registered) and people for a terminated vendor (409)', async () => {
      const { vendor } = await world.vendorWithPerson();
      const mark = world.mark();
      const err = await rejection(
        world.vendors.addPerson(OPS, vendor.id, {
          fullName: 'Cy',
          email: 'cy@acme.example',
          ndaSignedAt: new Date(world.clock.now().getTime() + DAY),
          ndaRef: 'NDA-13',
        }),
      );
      expect(err).toBeInstanceOf(PolicyViolation);
      expect((err as PolicyViolation).details).toEqual([expect.objectContaining({ rule: 'nda_signed', field: 'ndaSignedAt' })]);
      expect(await world.store.peopleOfVendor(vendor.id)).toHaveLength(1);
      expect(world.eventsSince(mark)).toEqual([['policy.refused', `vendor:${vendor.id}`, 'refused']]);

      await world.vendors.terminate(OPS, vendor.id, 'ended');
      expect(
        await rejection(world.vendors.addPerson(OPS, vendor.id, { fullName: 'Cy', email: 'cy@acme.example', ndaSignedAt: new Date(0), ndaRef: 'NDA-13' })),
      ).toBeInstanceOf(Conflict);
    });
  });

  describe('departure', () => {
    it("ends a leaver's access now: pending requests cancelled, live ones revoked, nothing new approved", async () => {
      const { person } = await world.vendorWithPerson();
      const active = await world.active(person.id);
      const approved = await world.approved(person.id);
      const pending = await world.requests.file(OPS, world.terms(person.id));
      world.jobs.scheduled.length = 0;
      const mark = world.mark();

      const result = await world.vendors.departure(OPS, person.id, 'left the company');
      expect(result.person).toMatchObject({ status: 'departed', departedAt: world.clock.now().toISOString(), departureReason: 'left the company' });
      expect(new Set(result.revoked)).toEqual(new Set([active.id, approved.id]));
      expect(result.cancelled).toEqual([pending.id]);
      expect((await world.request(pending.id)).status).toBe('cancelled');
      for (const id of result.revoked)
        expect(await world.request(id)).toMatchObject({ revocation: { trigger: 'departure', by: OPS, reason: 'left the company' } });
      expect(world.jobs.revocations().map((j) => [j.requestId, j.trigger])).toEqual(result.revoked.map((id) => [id, 'departure']));
      expect(world.eventsSince(mark)[0]).toEqual(['person.departed', `person:${person.id}`, 'success']);

      // The revoke jobs, run as the queue would run them, take the access away in the directory.
      for (const job of world.jobs.revocations()) await world.revoker.revoke(job.requestId, job.trigger);
      expect(await world.directory.getAccount(active.account!.dn!)).toMatchObject({ enabled: false, groups: [] });
      expect((await world.request(active.id)).status).toBe('revoked');

      const late = await rejection(world.requests.file(OPS, world.terms(person.id)));
      expect((late as PolicyViolation).details.map((d) => d.rule)).toEqual(['person_active']);
      expect(await rejection(world.vendors.departure(OPS, person.id, 'again'))).toBeInstanceOf(Conflict);
    });

    it('schedules a departure announced for later, refuses access past it, and completes it at effectiveAt', async () => {
      const { person } = await world.vendorWithPerson();
      const active = await world.active(person.id, { validTo: new Date(world.clock.now().getTime() + 5 * DAY) });
      world.jobs.scheduled.length = 0;
      const effectiveAt = new Date(world.clock.now().getTime() + 2 * DAY);

      const result = await world.vendors.departure(OPS, person.id, 'contract role ends', effectiveAt);
      expect(result).toMatchObject({ person: { status: 'active', departureScheduledAt: effectiveAt.toISOString() }, revoked: [], cancelled: [] });
      expect(world.jobs.scheduled).toEqual([{ job: 'depart', personId: person.id, at: effectiveAt.toISOString() }]);
      expect(await world.store.departuresDue(effectiveAt.getTime(), 10)).toEqual([person.id]);
      expect((await world.request(active.id)).revocation).toBeUndefined();
      const pastIt = await rejection(world.requests.file(OPS, world.terms(person.id, { validTo: new Date(effectiveAt.getTime() + DAY) })));
      expect((pastIt as PolicyViolation).details.map((d) => d.rule)).toEqual(['before_departure']);

      world.clock.set(effectiveAt);
      const completed = await world.vendors.completeDeparture(person.id);
      expect(completed).toEqual({ revoked: [active.id], cancelled: [] });
      expect(await world.vendors.getPerson(person.id)).toMatchObject({ status: 'departed', departedAt: effectiveAt.toISOString() });
      expect(await world.store.departuresDue(effectiveAt.getTime(), 10)).toEqual([]);
      expect(world.jobs.revocations()).toEqual([{ job: 'revoke', requestId: active.id, trigger: 'departure' }]);
      expect(world.events().filter((e) => e.action === 'person.departed')).toHaveLength(1);
    });
  });

  describe('termination', () => {
    it('terminates a vendor once and schedules the revocation of every account of every person', async () => {
      const { vendor, person } = await world.vendorWithPerson();
      const second = await world.vendors.addPerson(OPS, vendor.id, {
        fullName: 'Di Smit',
        email: 'di@acme.example',
        ndaSignedAt: new Date(0),
        ndaRef: 'NDA-14',
      });
      const first = await world.active(person.id);
      const other = await world.active(second.id);
      const failed = await world.approved(second.id);
      await world.provisionerOn().fail(failed.id, 'directory refused');
      const pending = await world.requests.file(OPS, world.terms(second.id));
      const done = await world.active(person.id);
      await world.requests.revoke(SUPERVISOR, done.id, 'manual');
      await world.revoker.revoke(done.id, 'manual');
      world.jobs.scheduled.length = 0;

      const result = await world.vendors.terminate(OPS, vendor.id, 'contract cancelled');
      expect(result.vendor).toMatchObject({ status: 'terminated', terminationReason: 'contract cancelled' });
      expect(new Set(result.revoked)).toEqual(new Set([first.id, other.id, failed.id]));
      expect(result.cancelled).toEqual([pending.id]);
      expect(new Set(world.jobs.revocations().map((j) => `${j.requestId}:${j.trigger}`))).toEqual(
        new Set(result.revoked.map((id) => `${id}:vendor-terminated`)),
      );
      expect(await world.store.contractsEnded(Number.MAX_SAFE_INTEGER, 10)).toEqual([]);

      const again = await world.vendors.terminate(OPS, vendor.id, 'twice');
      expect(again.vendor).toEqual(result.vendor);
      expect(world.events().filter((e) => e.action === 'vendor.terminated')).toHaveLength(1);

      for (const job of world.jobs.revocations()) await world.revoker.revoke(job.requestId, job.trigger);
      for (const id of [first.id, other.id]) {
        const r = await world.request(id);
        expect(r).toMatchObject({ status: 'revoked', account: { state: 'disabled' } });
        expect(await world.directory.getAccount(r.account!.dn!)).toMatchObject({ enabled: false, groups: [] });
      }
      expect((await world.request(failed.id)).status).toBe('revoked');
    });
  });
});
