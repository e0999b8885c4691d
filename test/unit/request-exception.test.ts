import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { policySchema } from '../../src/config/policy.schema.js';
import { Conflict, Forbidden, PolicyViolation } from '../../src/errors.js';
import { DAY, GROUPS, OPS, rejection, ServiceWorld, SUPERVISOR } from '../support/service-world.js';

/** Clause 1.9: a request breaking only relaxable rules, filed as an exception, needs three different people. */
const EXCEPTIONS = 'exc-carol';
const EXCEPTION = { justification: 'the ERP migration runs over the whole term', memoRef: 'MEMO-2026-031' };

const rules = (err: Error) => (err as PolicyViolation).details.map((d) => d.rule).sort();

describe('exceptions (clause 1.9)', () => {
  let world: ServiceWorld;
  beforeEach(() => {
    world = new ServiceWorld({ grantableGroups: [GROUPS.erp, GROUPS.reports] });
  });
  afterEach(() => world.expectChainIntact());

  const days = (n: number) => ({ validTo: new Date(world.clock.now().getTime() + n * DAY) });

  describe('filing', () => {
    it('refuses a 45-day request without an exception and says an exception could be filed for it', async () => {
      const { person } = await world.vendorWithPerson();
      const err = await rejection(world.requests.file(OPS, world.terms(person.id, days(45))));
      expect(err).toBeInstanceOf(PolicyViolation);
      expect((err as PolicyViolation).details).toEqual([
        expect.objectContaining({ rule: 'max_validity_days', field: 'validTo', relaxable: true, exceptionMaxValidityDays: 180 }),
      ]);
      expect((err as PolicyViolation).details[0]!.message).toMatch(/exception/);
    });

    it('accepts a 45-day request filed with an exception as pending, audits exception.requested with the filing and notifies', async () => {
      const { person } = await world.vendorWithPerson();
      const mark = world.mark();
      const filed = await world.requests.file(OPS, { ...world.terms(person.id, days(45)), exception: EXCEPTION });
      expect(filed).toMatchObject({ status: 'pending', exception: { ...EXCEPTION, rules: ['max_validity_days'], approvals: [] } });
      expect(await world.request(filed.id)).toEqual(filed);
      expect(world.eventsSince(mark)).toEqual([
        ['request.filed', `request:${filed.id}`, 'success'],
        ['exception.requested', `request:${filed.id}`, 'success'],
      ]);
      expect(world.events().at(-1)!.details).toEqual({ rules: ['max_validity_days'], memoRef: EXCEPTION.memoRef });
      // Approvers hear of the filing (the usual approval is needed too), exception approvers of the exception.
      expect(world.notifier.sent).toContainEqual({ event: 'exception.requested', requestId: filed.id });
    });

    it('relaxes a group outside grantableGroups too, and both relaxable rules at once', async () => {
      const { person } = await world.vendorWithPerson();
      const filed = await world.requests.file(OPS, { ...world.terms(person.id, { ...days(60), groups: [GROUPS.erp, GROUPS.printers] }), exception: EXCEPTION });
      expect(filed.exception?.rules.sort()).toEqual(['grantable_group', 'max_validity_days']);
      const refused = await rejection(world.requests.file(OPS, world.terms(person.id, { groups: [GROUPS.printers] })));
      expect((refused as PolicyViolation).details).toEqual([expect.objectContaining({ rule: 'grantable_group', relaxable: true, group: GROUPS.printers })]);
    });

    it('never relaxes privileged groups, the NDA, the contract end or a departure: 422 as without an exception, nothing written', async () => {
      const { person, vendor } = await world.vendorWithPerson({ ndaRef: '' });
      await world.vendors.departure(OPS, person.id, 'leaves', new Date(world.clock.now().getTime() + 40 * DAY));
      const mark = world.mark();
      const err = await rejection(
        world.requests.file(OPS, {
          ...world.terms(person.id, { validTo: new Date(Date.parse(vendor.contractEndsAt) + DAY), groups: [GROUPS.wheel] }),
          exception: EXCEPTION,
        }),
      );
      expect(err).toBeInstanceOf(PolicyViolation);
      // Only what the exception cannot relax is named: wheel is also outside grantableGroups (relaxed), and the
      // validity (366 days) lies beyond even the exception cap.
      expect(rules(err)).toEqual(['before_departure', 'max_validity_days', 'nda_on_file', 'no_privileged_groups', 'within_contract']);
      expect((err as PolicyViolation).details.find((d) => d.rule === 'max_validity_days')).toMatchObject({ relaxable: false });
      expect((await world.store.listRequests({}, undefined, 10)).items).toEqual([]);
      expect(world.eventsSince(mark)).toEqual([['policy.refused', `person:${person.id}`, 'refused']]);
      expect(world.notifier.sent).toEqual([]);
    });

    it('refuses a validity beyond exceptions.maxValidityDays even with an exception', async () => {
      const { person } = await world.vendorWithPerson();
      const err = await rejection(world.requests.file(OPS, { ...world.terms(person.id, days(181)), exception: EXCEPTION }));
      expect((err as PolicyViolation).details).toEqual([
        expect.objectContaining({ rule: 'max_validity_days', relaxable: false, exceptionMaxValidityDays: 180 }),
      ]);
      expect(await world.requests.file(OPS, { ...world.terms(person.id, days(180)), exception: EXCEPTION })).toMatchObject({ status: 'pending' });
    });

    it('refuses an exception for a request that breaks no rule (exception_not_needed)', async () => {
      const { person } = await world.vendorWithPerson();
      const err = await rejection(world.requests.file(OPS, { ...world.terms(person.id), exception: EXCEPTION }));
      expect((err as PolicyViolation).details).toEqual([expect.objectContaining({ rule: 'exception_not_needed', field: 'exception' })]);
      expect((await world.store.listRequests({}, undefined, 10)).items).toEqual([]);
    });

    it('relaxes only the rules policy.exceptions.relaxable names', async () => {
      world = new ServiceWorld({ grantableGroups: [GROUPS.erp], exceptions: { relaxable: ['grantable_group'], maxValidityDays: 90 } });
      const { person } = await world.vendorWithPerson();
      const err = await rejection(world.requests.file(OPS, { ...world.terms(person.id, days(45)), exception: EXCEPTION }));
      expect((err as PolicyViolation).details).toEqual([expect.objectContaining({ rule: 'max_validity_days' })]);
      expect((err as PolicyViolation).details[0]).not.toHaveProperty('relaxable');
      expect(() => policySchema.parse({ exceptions: { relaxable: ['no_privileged_groups'] } })).toThrow();
      expect(policySchema.parse({}).exceptions).toEqual({ relaxable: ['max_validity_days', 'grantable_group'], maxValidityDays: 180 });
    });
  });

  describe('approval', () => {
    async function exceptional() {
      const { person } = await world.vendorWithPerson();
      return world.requests.file(OPS, { ...world.terms(person.id, days(45)), exception: EXCEPTION });
    }

    it('is not approved after the usual approval alone: it stays pending, nothing is scheduled', async () => {
      const filed = await exceptional();
      const mark = world.mark();
      const half = await world.requests.approve(SUPERVISOR, filed.id, 'fine by me');
      expect(half).toMatchObject({ status: 'pending', approval: { by: SUPERVISOR, comment: 'fine by me' }, exception: { approvals: [] } });
      expect(world.eventsSince(mark)).toEqual([['request.approval_recorded', `request:${filed.id}`, 'success']]);
      expect(world.jobs.scheduled).toEqual([]);
      expect(await rejection(world.requests.approve('sup-dave', filed.id))).toBeInstanceOf(Conflict);
    });

    it('is not approved after the exception approval alone either', async () => {
      const filed = await exceptional();
      const half = await world.requests.approveException(EXCEPTIONS, filed.id, 'memo signed');
      expect(half).toMatchObject({ status: 'pending', exception: { approvals: [{ by: EXCEPTIONS, role: 'exception-approver', comment: 'memo signed' }] } });
      expect(half.approval).toBeUndefined();
      expect(world.jobs.scheduled).toEqual([]);
      expect(await rejection(world.requests.approveException('exc-erin', filed.id))).toBeInstanceOf(Conflict);
    });

    it('is approved once both are given, in either order, and only then queued for provisioning', async () => {
      const first = await exceptional();
      await world.requests.approve(SUPERVISOR, first.id);
      const mark = world.mark();
      const approved = await world.requests.approveException(EXCEPTIONS, first.id);
      expect(approved).toMatchObject({ status: 'approved', approval: { by: SUPERVISOR }, exception: { approvals: [{ by: EXCEPTIONS }] } });
      expect(world.eventsSince(mark)).toEqual([
        ['exception.approved', `request:${first.id}`, 'success'],
        ['request.approved', `request:${first.id}`, 'success'],
      ]);
      expect(world.jobs.scheduled.map((j) => j.job)).toEqual(['provision', 'expire']);

      const second = await world.requests.file(OPS, { ...world.terms(first.personId, days(40)), exception: EXCEPTION });
      await world.requests.approveException(EXCEPTIONS, second.id);
      expect(await world.requests.approve(SUPERVISOR, second.id)).toMatchObject({ status: 'approved' });
      expect(world.jobs.scheduled.filter((j) => j.job === 'provision').map((j) => j.requestId)).toEqual([first.id, second.id]);
    });

    it('needs a third person: the exception approver is neither the requester nor the usual approver (either order), refusals audited', async () => {
      const filed = await exceptional();
      expect(await rejection(world.requests.approveException(OPS, filed.id))).toBeInstanceOf(Forbidden);
      await world.requests.approve(SUPERVISOR, filed.id);
      const mark = world.mark();
      const same = await rejection(world.requests.approveException(SUPERVISOR, filed.id));
      expect(same).toBeInstanceOf(Forbidden);
      expect((same as Forbidden).details).toEqual([expect.objectContaining({ rule: 'distinct_exception_approver' })]);
      expect(world.eventsSince(mark)).toEqual([['exception.approve', `request:${filed.id}`, 'refused']]);
      expect((await world.request(filed.id)).status).toBe('pending');

      const other = await world.requests.file(OPS, { ...world.terms(filed.personId, days(40)), exception: EXCEPTION });
      await world.requests.approveException(EXCEPTIONS, other.id);
      expect(await rejection(world.requests.approve(EXCEPTIONS, other.id))).toBeInstanceOf(Forbidden);
      expect((await world.request(other.id)).status).toBe('pending');
      expect(world.jobs.scheduled).toEqual([]);
    });

    it('a rejection by the exception approver rejects the request, audited as exception.rejected', async () => {
      const filed = await exceptional();
      await world.requests.approve(SUPERVISOR, filed.id);
      const mark = world.mark();
      const rejected = await world.requests.rejectException(EXCEPTIONS, filed.id, 'no signed memo');
      expect(rejected).toMatchObject({ status: 'rejected', rejection: { by: EXCEPTIONS, reason: 'no signed memo' } });
      expect(world.eventsSince(mark)).toEqual([
        ['exception.rejected', `request:${filed.id}`, 'success'],
        ['request.rejected', `request:${filed.id}`, 'success'],
      ]);
      expect(await rejection(world.requests.approveException(EXCEPTIONS, filed.id))).toBeInstanceOf(Conflict);
    });

    it('has no exception approval for a request filed without an exception', async () => {
      const { person } = await world.vendorWithPerson();
      const plain = await world.requests.file(OPS, world.terms(person.id));
      expect(await rejection(world.requests.approveException(EXCEPTIONS, plain.id))).toBeInstanceOf(Conflict);
      expect(await rejection(world.requests.rejectException(EXCEPTIONS, plain.id, 'x'))).toBeInstanceOf(Conflict);
      expect(await world.requests.approve(SUPERVISOR, plain.id)).toMatchObject({ status: 'approved' });
    });

    it('provisions an approved exception with a group outside grantableGroups: the job relaxes what the exception relaxed', async () => {
      const { person } = await world.vendorWithPerson();
      const filed = await world.requests.file(OPS, { ...world.terms(person.id, { groups: [GROUPS.printers] }), exception: EXCEPTION });
      await world.requests.approve(SUPERVISOR, filed.id);
      await world.requests.approveException(EXCEPTIONS, filed.id);
      await world.provisionerOn().provision(filed.id, 1);
      const active = await world.request(filed.id);
      expect(active.status).toBe('active');
      expect(world.directory.membersOf(GROUPS.printers)).toContain(active.account!.dn!);
    });
  });
});
