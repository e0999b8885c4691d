import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SweepService } from '../../src/provisioner/sweep.service.js';
import { crashingDirectory, SimulatedCrash } from '../support/crashing-directory.js';
import { DAY, OPS, ServiceWorld, SUPERVISOR } from '../support/service-world.js';

describe('SweepService', () => {
  let world: ServiceWorld;
  let sweeper: SweepService;
  beforeEach(() => {
    world = new ServiceWorld();
    const { store, jobs, vendors, metrics, logger, notifier, clock } = world;
    sweeper = new SweepService({ store, jobs, vendors, metrics, logger, notifier, now: clock.now });
  });
  afterEach(() => world.expectChainIntact());

  /** The jobs asked for by what runs next (the scheduler's record so far is dropped). */
  const freshJobs = () => (world.jobs.scheduled.length = 0);
  const at = (iso: string, offsetMs: number) => new Date(Date.parse(iso) + offsetMs);
  const overdueGauge = async () => (await world.metrics.overdueRevocations.get()).values[0]?.value;

  it('queues the revocation of a request past its validTo, with trigger expiry, until one confirms it', async () => {
    const { person } = await world.vendorWithPerson();
    const active = await world.active(person.id);
    freshJobs();
    world.clock.set(at(active.validTo, -1));
    expect(await sweeper.sweep()).toEqual({ expired: 0, pending: 0, overdue: 0 });
    expect(world.jobs.scheduled).toEqual([]);

    world.clock.set(active.validTo);
    expect(await sweeper.sweep()).toMatchObject({ expired: 1, pending: 0 });
    expect(world.jobs.scheduled).toEqual([{ job: 'revoke', requestId: active.id, trigger: 'expiry' }]);

    await world.revoker.revoke(active.id, 'expiry');
    freshJobs();
    expect(await sweeper.sweep()).toEqual({ expired: 0, pending: 0, overdue: 0 });
    expect(world.jobs.scheduled).toEqual([]);
  });

  it('queues again an asked-for revocation not yet confirmed, with the trigger it was asked with', async () => {
    const { person } = await world.vendorWithPerson();
    const active = await world.active(person.id);
    const approved = await world.approved(person.id, { validFrom: new Date(world.clock.now().getTime() + DAY) });
    await world.requests.revoke(SUPERVISOR, active.id, 'manual', 'work done');
    world.clock.advance(1000);
    await world.vendors.departure(OPS, person.id, 'left the company');
    freshJobs();

    expect(await sweeper.sweep()).toMatchObject({ expired: 0, pending: 2 });
    expect(world.jobs.scheduled).toEqual([
      { job: 'revoke', requestId: active.id, trigger: 'manual' },
      { job: 'revoke', requestId: approved.id, trigger: 'departure' },
    ]);
  });

  it('terminates a vendor whose contract end has passed: every live request of it gets its revocation, once', async () => {
    const now = world.clock.now().getTime();
    const contractEndsAt = new Date(now + 3 * DAY);
    const vendor = await world.vendors.createVendor(OPS, { name: 'Shortterm Ltd', contractRef: 'C-SHORT', contractEndsAt });
    const person = await world.vendors.addPerson(OPS, vendor.id, {
      fullName: 'Bo Brief',
      email: 'bo@short.example',
      ndaSignedAt: new Date(now - DAY),
      ndaRef: 'NDA-9',
    });
    const active = await world.active(person.id, { validTo: contractEndsAt });
    const approved = await world.approved(person.id, { validFrom: new Date(now + DAY), validTo: new Date(now + 2 * DAY) });
    const pending = await world.requests.file(OPS, world.terms(person.id, { validTo: contractEndsAt }));
    const other = await world.vendorWithPerson();
    const untouched = await world.active(other.person.id);

    world.clock.set(new Date(contractEndsAt.getTime() - 1));
    await sweeper.sweep();
    expect((await world.vendors.getVendor(vendor.id)).status).toBe('active');

    world.clock.set(contractEndsAt);
    freshJobs();
    await sweeper.sweep();
    expect(await world.vendors.getVendor(vendor.id)).toMatchObject({ status: 'terminated', terminationReason: 'contract end date passed' });
    expect(
      world
        .events()
        .filter((e) => e.action === 'vendor.terminated')
        .map((e) => e.details),
    ).toEqual([{ reason: 'contract end date passed', trigger: 'contract-ended' }]);
    for (const id of [active.id, approved.id]) {
      expect((await world.request(id)).revocation).toMatchObject({ trigger: 'contract-ended', by: 'system' });
      expect(world.jobs.revocations()).toContainEqual({ job: 'revoke', requestId: id, trigger: 'contract-ended' });
    }
    expect((await world.request(pending.id)).status).toBe('cancelled');
    expect((await world.request(untouched.id)).revocation).toBeUndefined();
    expect(world.jobs.revocations().map((j) => j.requestId)).not.toContain(untouched.id);

    await sweeper.sweep();
    expect(world.events().filter((e) => e.action === 'vendor.terminated')).toHaveLength(1);
  });

  it("completes an announced departure once it is due, revoking the leaver's access", async () => {
    const { person } = await world.vendorWithPerson();
    const active = await world.active(person.id);
    const effectiveAt = new Date(world.clock.now().getTime() + 2 * DAY);
    await world.vendors.departure(OPS, person.id, 'role ends', effectiveAt);

    world.clock.set(new Date(effectiveAt.getTime() - 1));
    await sweeper.sweep();
    expect((await world.vendors.getPerson(person.id)).status).toBe('active');

    world.clock.set(effectiveAt);
    freshJobs();
    await sweeper.sweep();
    expect(await world.vendors.getPerson(person.id)).toMatchObject({ status: 'departed', departedAt: effectiveAt.toISOString() });
    expect((await world.request(active.id)).revocation).toMatchObject({ trigger: 'departure', by: 'system', reason: 'role ends' });
    expect(world.jobs.revocations()).toEqual([{ job: 'revoke', requestId: active.id, trigger: 'departure' }]);
    expect(await world.store.departuresDue(Number.MAX_SAFE_INTEGER, 10)).toEqual([]);
  });

  it('reports a revocation unconfirmed 5 s after it was due as overdue exactly once per request, and counts it while it lasts', async () => {
    const { person } = await world.vendorWithPerson();
    const expiring = await world.active(person.id, { validTo: new Date(world.clock.now().getTime() + DAY) });
    const revoked = await world.active(person.id);
    world.clock.set(at(expiring.validTo, -5000));
    await world.requests.revoke(SUPERVISOR, revoked.id, 'manual');
    // Nothing confirms either: the revoke jobs are only recorded, as when the directory is down.

    world.clock.set(at(expiring.validTo, 4999));
    const mark = world.mark();
    expect(await sweeper.sweep()).toMatchObject({ overdue: 1 });
    expect(world.eventsSince(mark)).toEqual([['revocation.overdue', `request:${revoked.id}`, 'warning']]);

    world.clock.set(at(expiring.validTo, 5000));
    expect(await sweeper.sweep()).toMatchObject({ overdue: 2 });
    expect(await overdueGauge()).toBe(2);
    world.clock.advance(60_000);
    expect(await sweeper.sweep()).toMatchObject({ overdue: 2 });
    expect(world.eventsSince(mark)).toEqual([
      ['revocation.overdue', `request:${revoked.id}`, 'warning'],
      ['revocation.overdue', `request:${expiring.id}`, 'warning'],
    ]);
    expect(world.events().at(-1)).toMatchObject({ actor: 'system' });
    expect(world.notifier.sent.filter((n) => n.event === 'overdue')).toEqual([
      { event: 'overdue', requestId: revoked.id },
      { event: 'overdue', requestId: expiring.id },
    ]);

    await world.revoker.revoke(expiring.id, 'expiry');
    await world.revoker.revoke(revoked.id, 'manual');
    expect(await sweeper.sweep()).toMatchObject({ overdue: 0 });
    expect(await overdueGauge()).toBe(0);
    expect(world.eventsSince(mark).filter(([action]) => action === 'revocation.overdue')).toHaveLength(2);
  });

  it('catches up at start-up: provision for approved, the expiry alarm of approved, provisioning and active, then sweeps', async () => {
    const { person } = await world.vendorWithPerson();
    const now = world.clock.now().getTime();
    const approved = await world.approved(person.id, { validFrom: new Date(now + DAY) });
    const stuck = await world.approved(person.id);
    await expect(
      world.provisionerOn(crashingDirectory(world.directory, { method: 'createAccount', when: 'after' })).provision(stuck.id, stuck.attempt),
    ).rejects.toBeInstanceOf(SimulatedCrash);
    expect((await world.request(stuck.id)).status).toBe('provisioning');
    const active = await world.active(person.id);
    const revoking = await world.active(person.id);
    await world.requests.revoke(SUPERVISOR, revoking.id, 'manual');
    const pending = await world.requests.file(OPS, world.terms(person.id));
    const done = await world.active(person.id);
    await world.requests.revoke(SUPERVISOR, done.id, 'manual');
    await world.revoker.revoke(done.id, 'manual');
    freshJobs();

    await sweeper.catchUp();
    const sorted = <T>(jobs: T[]) => jobs.map((j) => JSON.stringify(j)).sort();
    expect(sorted(world.jobs.scheduled)).toEqual(
      sorted([
        { job: 'provision', requestId: approved.id, attempt: 1, at: approved.validFrom },
        // All four end a week from the same instant: one slot, one alarm.
        { job: 'expire', at: active.validTo },
        { job: 'revoke', requestId: revoking.id, trigger: 'manual' }, // from the sweep that follows
      ]),
    );
    expect(new Set([approved, stuck, active, revoking].map((r) => r.validTo))).toEqual(new Set([active.validTo]));
    expect(world.jobs.scheduled.map((j) => ('requestId' in j ? j.requestId : ''))).not.toContain(pending.id);
  });

  it('queues one expiry alarm per distinct 100 ms slot of validTo at catch-up, however many requests share a slot', async () => {
    const { person } = await world.vendorWithPerson();
    // A slot boundary six days ahead: slot n covers ((n - 1) × 100 ms, n × 100 ms] and its alarm fires at its end.
    const slot = Math.ceil((world.clock.now().getTime() + 6 * DAY) / 100);
    const ending = (offsetMs: number) => world.active(person.id, { validTo: new Date(slot * 100 + offsetMs) });
    for (const offset of [1, 50, 100]) await ending(offset); // slot + 1, its end included
    for (const offset of [101, 199]) await ending(offset); // slot + 2
    await ending(-5); // slot
    freshJobs();

    await sweeper.catchUp();
    expect(world.jobs.alarmSlots().sort((a, b) => a - b)).toEqual([slot, slot + 1, slot + 2]);
    expect(world.jobs.revocations()).toEqual([]);
  });
});
