import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PersonErasureService, erasureVerdict, requestEndedAt } from '../../src/domain/person-erasure.service.js';
import { Conflict, PolicyViolation } from '../../src/errors.js';
import { DAY, OPS, rejection, ServiceWorld, SUPERVISOR } from '../support/service-world.js';

const ADMIN = 'admin-carol';
const PERSONAL = ['Ann Example', 'ann@acme.example', '+886 912 345 678', 'Ann Latin'];

describe('personal data erasure (clause 1.1.2)', () => {
  let world: ServiceWorld;
  const eraser = (personDays = 30) => new PersonErasureService({ store: world.store, directory: world.directory, personDays, now: world.clock.now });
  beforeEach(() => {
    world = new ServiceWorld();
  });
  afterEach(() => world.expectChainIntact());

  async function personWithData() {
    const { vendor, person } = await world.vendorWithPerson();
    await world.vendors.updatePerson(OPS, person.id, { latinName: 'Ann Latin' });
    const withPhone = await world.vendors.addPerson(OPS, vendor.id, {
      fullName: 'Ann Example',
      latinName: 'Ann Latin',
      email: 'ann@acme.example',
      phone: '+886 912 345 678',
      ndaSignedAt: new Date(world.clock.now().getTime() - DAY),
      ndaRef: 'NDA-99',
    });
    return { vendor, person: withPhone };
  }

  /** An active request revoked now, its account disabled in the directory. */
  async function revokedRequest(personId: string, reason = 'work done') {
    const active = await world.active(personId);
    await world.requests.revoke(SUPERVISOR, active.id, 'manual', reason);
    await world.revoker.revoke(active.id, 'manual');
    return world.request(active.id);
  }

  it('refuses while a request is pending or live (409 requests_ended, audited, nothing changed)', async () => {
    const { person } = await personWithData();
    const pending = await world.requests.file(OPS, world.terms(person.id));
    const mark = world.mark();
    const err = await rejection(eraser(0).erase(ADMIN, person.id));
    expect(err).toBeInstanceOf(Conflict);
    expect((err as Conflict).details).toEqual([expect.objectContaining({ rule: 'requests_ended', requests: [pending.id], possibleAt: expect.any(String) })]);
    expect(world.eventsSince(mark)).toEqual([['policy.refused', `person:${person.id}`, 'refused']]);
    expect(await world.store.getPerson(person.id)).toEqual(person);

    await world.requests.cancel(OPS, pending.id);
    const active = await world.active(person.id);
    expect(((await rejection(eraser(0).erase(ADMIN, person.id))) as Conflict).details[0]).toMatchObject({ rule: 'requests_ended', requests: [active.id] });
  });

  it('refuses until personDays after the last request ended (422 with the date), then erases', async () => {
    const { person } = await personWithData();
    const first = await revokedRequest(person.id);
    world.clock.advance(3 * DAY);
    const last = await revokedRequest(person.id);
    const endedAt = requestEndedAt(last);
    expect(endedAt).toBe(world.clock.now().toISOString());
    expect(Date.parse(requestEndedAt(first))).toBeLessThan(Date.parse(endedAt));

    world.clock.advance(30 * DAY - 1000);
    const err = await rejection(eraser(30).erase(ADMIN, person.id));
    expect(err).toBeInstanceOf(PolicyViolation);
    const possibleAt = new Date(Date.parse(endedAt) + 30 * DAY).toISOString();
    expect((err as PolicyViolation).details).toEqual([
      expect.objectContaining({ rule: 'retention_person_days', possibleAt, since: endedAt, personDays: 30, message: expect.stringContaining(possibleAt) }),
    ]);
    expect((await world.store.getPerson(person.id))!.fullName).toBe('Ann Example');

    world.clock.advance(1000);
    const erased = await eraser(30).erase(ADMIN, person.id);
    expect(erased.erasedAt).toBe(world.clock.now().toISOString());
  });

  it('counts from registration when the person never had a request', async () => {
    const { person } = await personWithData();
    const verdict = erasureVerdict(person, [], 10);
    expect(verdict).toEqual({ live: [], since: person.createdAt, possibleAt: new Date(Date.parse(person.createdAt) + 10 * DAY).toISOString() });
    expect(await rejection(eraser(10).erase(ADMIN, person.id))).toBeInstanceOf(PolicyViolation);
    world.clock.advance(10 * DAY);
    expect((await eraser(10).erase(ADMIN, person.id)).erasedBy).toBe(ADMIN);
  });

  it('a request closed later ended when it was revoked, not when its sessions were signed off', () => {
    const at = (d: number) => new Date(Date.UTC(2026, 0, d)).toISOString();
    const request = {
      updatedAt: at(20),
      history: [
        { at: at(1), actor: OPS, action: 'filed', to: 'pending' as const },
        { at: at(2), actor: OPS, action: 'status.approved', from: 'pending' as const, to: 'approved' as const },
        { at: at(3), actor: OPS, action: 'status.active', from: 'approved' as const, to: 'active' as const },
        { at: at(5), actor: OPS, action: 'status.expired', from: 'active' as const, to: 'expired' as const },
        { at: at(20), actor: OPS, action: 'status.closed', from: 'expired' as const, to: 'closed' as const },
      ],
    };
    expect(requestEndedAt(request as never)).toBe(at(5));
  });

  it('removes name, Latin name, e-mail and phone, keeps what an auditor needs, deletes the directory entry, audits no personal data', async () => {
    const { vendor, person } = await personWithData();
    const revoked = await revokedRequest(person.id, 'Ann Example finished; ann@acme.example handed over');
    const dn = revoked.account!.dn!;
    expect(await world.directory.getAccount(dn)).not.toBeNull();
    const mark = world.mark();

    const erased = await eraser(0).erase(ADMIN, person.id);
    for (const field of ['fullName', 'latinName', 'email', 'phone']) expect(erased).not.toHaveProperty(field);
    expect(erased).toMatchObject({
      id: person.id,
      vendorId: vendor.id,
      status: 'active',
      ndaRef: 'NDA-99',
      ndaSignedAt: person.ndaSignedAt,
      createdAt: person.createdAt,
      erasedAt: world.clock.now().toISOString(),
      erasedBy: ADMIN,
    });
    expect(await world.store.getPerson(person.id)).toEqual(erased);
    expect(await world.directory.getAccount(dn)).toBeNull();
    const after = await world.request(revoked.id);
    expect(after.account).toMatchObject({ username: revoked.account!.username, state: 'deleted' });
    expect(after.revocation?.reason).toBe('[erased] finished; [erased] handed over');
    expect(world.eventsSince(mark)).toEqual([
      ['account.deleted', `request:${revoked.id}`, 'success'],
      ['person.erased', `person:${person.id}`, 'success'],
    ]);
    expect(world.events().at(-2)).toMatchObject({ actor: ADMIN, details: { dn, reason: 'person-erased' } });
    const event = world.events().at(-1)!;
    expect(event.details).toMatchObject({ fields: ['fullName', 'latinName', 'email', 'phone'], personDays: 0, accountsDeleted: [revoked.id] });
    const records = JSON.stringify([await world.store.getPerson(person.id), await world.store.getRequests(await world.store.requestIdsOfPerson(person.id))]);
    for (const personal of PERSONAL) expect(records).not.toContain(personal);
    // The values themselves (hashes and ids are random hex: a fragment such as 912 could turn up in them by chance).
    const trail = JSON.stringify(world.events().slice(mark));
    for (const personal of [...PERSONAL, 'ann@']) expect(trail).not.toContain(personal);

    // Idempotent: the same record, nothing more written.
    const again = world.mark();
    expect(await eraser(0).erase(ADMIN, person.id)).toEqual(erased);
    expect(world.eventsSince(again)).toEqual([]);
  });

  it('gives an erased person no new request and no name again', async () => {
    const { person } = await personWithData();
    world.clock.advance(DAY);
    await eraser(0).erase(ADMIN, person.id);
    const filed = await rejection(world.requests.file(OPS, world.terms(person.id)));
    expect(filed).toBeInstanceOf(PolicyViolation);
    expect((filed as PolicyViolation).details.map((d) => d.rule)).toContain('person_erased');
    expect(await rejection(world.vendors.updatePerson(OPS, person.id, { latinName: 'Ann' }))).toBeInstanceOf(Conflict);
    expect((await world.store.searchPeople('Ann', undefined, 10)).items.map((p) => p.id)).not.toContain(person.id);
  });

  it("keeps the person's own name, e-mail and phone out of a departure's reason (hashed events cannot be rewritten)", async () => {
    const { person } = await personWithData();
    await world.active(person.id);
    const mark = world.mark();
    await world.vendors.departure(OPS, person.id, 'Ann Example resigned, reach her at +886 912 345 678');
    const trail = JSON.stringify(world.events().slice(mark));
    expect(trail).toContain('[erased] resigned, reach her at [erased]');
    for (const personal of PERSONAL) expect(trail).not.toContain(personal);
  });
});
