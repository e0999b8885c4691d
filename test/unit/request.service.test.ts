import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { canMove } from '../../src/domain/request-state.js';
import { REQUEST_STATUSES, type RequestStatus } from '../../src/domain/types.js';
import { Conflict, Forbidden, PolicyViolation } from '../../src/errors.js';
import { DAY, GROUPS, HOUR, OPS, rejection, ServiceWorld, SUPERVISOR } from '../support/service-world.js';
import { seedRequest } from '../support/store-records.js';

describe('RequestService', () => {
  let world: ServiceWorld;
  beforeEach(() => {
    world = new ServiceWorld({ grantableGroups: [GROUPS.erp, GROUPS.reports] });
  });
  afterEach(() => world.expectChainIntact());

  describe('filing', () => {
    it('files a request that breaks no rule as pending, audited with its terms', async () => {
      const { person, vendor } = await world.vendorWithPerson();
      const mark = world.mark();
      const filed = await world.requests.file(OPS, world.terms(person.id));
      expect(filed).toMatchObject({
        status: 'pending',
        requester: OPS,
        personId: person.id,
        vendorId: vendor.id,
        groups: [GROUPS.erp, GROUPS.reports],
        credential: 'none',
        attempt: 1,
      });
      expect(await world.store.getRequest(filed.id)).toEqual(filed);
      expect(await world.store.idsInStatus('pending')).toEqual([filed.id]);
      expect(world.eventsSince(mark)).toEqual([['request.filed', `request:${filed.id}`, 'success']]);
      expect(world.jobs.scheduled).toEqual([]);
    });

    it('refuses a filing with every policy rule broken: 422 names each rule, nothing is written, the refusal is audited', async () => {
      const { vendor, person } = await world.vendorWithPerson({ ndaRef: '' });
      await world.vendors.departure(OPS, person.id, 'leaves', new Date(world.clock.now().getTime() + 2 * DAY));
      await world.vendors.terminate(OPS, vendor.id, 'contract cancelled');
      world.clock.advance(3 * DAY);
      await world.vendors.completeDeparture(person.id);
      const now = world.clock.now().getTime();
      const mark = world.mark();

      // No single request can break every rule (a validTo already past is not also too far ahead), so two filings share them.
      const tooLong = await rejection(
        world.requests.file(
          OPS,
          world.terms(person.id, {
            groups: [GROUPS.printers, `cn=nope,ou=groups,dc=fake,dc=test`, GROUPS.wheel],
            validFrom: new Date(now),
            validTo: new Date(now + 400 * DAY),
          }),
        ),
      );
      const backwards = await rejection(
        world.requests.file(OPS, world.terms(person.id, { validFrom: new Date(now - HOUR), validTo: new Date(now - 2 * HOUR) })),
      );
      const nobody = await rejection(world.requests.file(OPS, world.terms('per_absent')));

      for (const err of [tooLong, backwards, nobody]) {
        expect(err).toBeInstanceOf(PolicyViolation);
        expect((err as PolicyViolation).status).toBe(422);
      }
      const rules = (err: Error) => (err as PolicyViolation).details.map((d) => d.rule);
      expect(rules(tooLong).sort()).toEqual(
        [
          'nda_on_file',
          'person_active',
          'before_departure',
          'vendor_active',
          'max_validity_days',
          'within_contract',
          'grantable_group',
          'grantable_group',
          'grantable_group',
          'group_exists',
          'no_privileged_groups',
        ].sort(),
      );
      expect(rules(backwards).sort()).toEqual(
        ['nda_on_file', 'person_active', 'before_departure', 'vendor_active', 'valid_from_before_valid_to', 'valid_to_in_future'].sort(),
      );
      expect(rules(nobody)).toEqual(['person_exists']);
      expect((tooLong as PolicyViolation).details).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ rule: 'group_exists', field: 'groups', group: 'cn=nope,ou=groups,dc=fake,dc=test' }),
          expect.objectContaining({ rule: 'no_privileged_groups', field: 'groups', group: GROUPS.wheel }),
          expect.objectContaining({ rule: 'grantable_group', field: 'groups', group: GROUPS.printers }),
          expect.objectContaining({ rule: 'within_contract', field: 'validTo' }),
        ]),
      );
      expect((nobody as PolicyViolation).details).toEqual([expect.objectContaining({ field: 'personId' })]);

      expect((await world.store.listRequests({}, undefined, 10)).items).toEqual([]);
      expect(await world.store.requestIdsOfPerson(person.id)).toEqual([]);
      const refusals = world.events().slice(mark);
      expect(refusals.map((e) => [e.action, e.subject, e.outcome, e.actor])).toEqual([
        ['policy.refused', `person:${person.id}`, 'refused', OPS],
        ['policy.refused', `person:${person.id}`, 'refused', OPS],
        ['policy.refused', 'request', 'refused', OPS],
      ]);
      expect(refusals[0]!.details).toMatchObject({ rules: rules(tooLong) });
      expect(refusals[1]!.details).toMatchObject({ rules: rules(backwards) });
    });
  });

  describe('approval', () => {
    it('approves a pending request and schedules its provisioning at validFrom, the expiry alarm of its validTo and a reminder', async () => {
      const { person } = await world.vendorWithPerson();
      const filed = await world.requests.file(OPS, world.terms(person.id, { validFrom: new Date(world.clock.now().getTime() + HOUR) }));
      const mark = world.mark();
      const approved = await world.requests.approve(SUPERVISOR, filed.id, 'fine');
      expect(approved).toMatchObject({ status: 'approved', approval: { by: SUPERVISOR, at: world.clock.now().toISOString(), comment: 'fine' } });
      expect(world.eventsSince(mark)).toEqual([['request.approved', `request:${filed.id}`, 'success']]);
      expect(world.jobs.scheduled).toEqual([
        { job: 'provision', requestId: filed.id, attempt: 1, at: filed.validFrom },
        { job: 'expire', at: filed.validTo },
      ]);
      expect(world.notifier.sent).toEqual([
        { event: 'request.filed', requestId: filed.id },
        { event: 'reminder', requestId: filed.id, at: new Date(Date.parse(filed.validTo) - 24 * HOUR).toISOString() },
        { event: 'approved', requestId: filed.id },
      ]);
    });

    it('notifies the rejection of a request (the requester is mailed about it)', async () => {
      const { person } = await world.vendorWithPerson();
      const filed = await world.requests.file(OPS, world.terms(person.id));
      await world.requests.reject(SUPERVISOR, filed.id, 'no contract for this work');
      expect(world.notifier.sent).toEqual([
        { event: 'request.filed', requestId: filed.id },
        { event: 'rejected', requestId: filed.id },
      ]);
    });

    it('refuses the requester approving their own request: 403, audited, the request stays pending', async () => {
      const { person } = await world.vendorWithPerson();
      const filed = await world.requests.file(OPS, world.terms(person.id));
      const mark = world.mark();
      const err = await rejection(world.requests.approve(OPS, filed.id));
      expect(err).toBeInstanceOf(Forbidden);
      expect((err as Forbidden).status).toBe(403);
      expect((err as Forbidden).details).toEqual([expect.objectContaining({ rule: 'separation_of_duties' })]);
      expect(await world.request(filed.id)).toEqual(filed);
      expect(world.eventsSince(mark)).toEqual([['request.approve', `request:${filed.id}`, 'refused']]);
      expect(world.events().at(-1)).toMatchObject({ actor: OPS, details: { rule: 'separation_of_duties' } });
      expect(world.jobs.scheduled).toEqual([]);
    });

    it('re-checks the policy at approval: a group that became privileged since filing is refused', async () => {
      const { person } = await world.vendorWithPerson();
      const filed = await world.requests.file(OPS, world.terms(person.id));
      world.directory.nestGroup(GROUPS.reports, GROUPS.wheel);
      const err = await rejection(world.requests.approve(SUPERVISOR, filed.id));
      expect(err).toBeInstanceOf(PolicyViolation);
      expect((err as PolicyViolation).details).toEqual([
        expect.objectContaining({ rule: 'no_privileged_groups', group: GROUPS.reports, privilegedGroup: GROUPS.wheel }),
      ]);
      expect((await world.request(filed.id)).status).toBe('pending');
      expect(world.jobs.scheduled).toEqual([]);
    });
  });

  describe('state transitions (src/domain/request-state.ts)', () => {
    type Op = 'approve' | 'reject' | 'cancel' | 'retry' | 'revoke';
    // Where each operation is allowed; everywhere else it is a 409 that changes nothing.
    const allowedFrom: Record<Op, RequestStatus[]> = {
      approve: ['pending'],
      reject: ['pending'],
      cancel: ['pending', 'approved'],
      retry: ['failed'],
      revoke: ['approved', 'provisioning', 'active', 'failed'],
    };
    const outcome: Record<Op, { action: string; to?: RequestStatus }> = {
      approve: { action: 'request.approved', to: 'approved' },
      reject: { action: 'request.rejected', to: 'rejected' },
      cancel: { action: 'request.cancelled', to: 'cancelled' },
      retry: { action: 'request.retried', to: 'approved' },
      revoke: { action: 'revocation.requested' },
    };
    const run = (op: Op, id: string) =>
      ({
        approve: () => world.requests.approve(SUPERVISOR, id),
        reject: () => world.requests.reject(SUPERVISOR, id, 'not needed'),
        cancel: () => world.requests.cancel(OPS, id),
        retry: () => world.requests.retry('admin-carol', id),
        revoke: () => world.requests.revoke(SUPERVISOR, id, 'manual', 'work done'),
      })[op]();
    const cases = (Object.keys(allowedFrom) as Op[]).flatMap((op) => REQUEST_STATUSES.map((from) => ({ op, from, allowed: allowedFrom[op].includes(from) })));

    it.each(cases)('$op from $from: allowed=$allowed', async ({ op, from, allowed }) => {
      const { person } = await world.vendorWithPerson();
      const now = world.clock.now();
      const seeded = await seedRequest(
        world.store,
        now,
        { status: from, requester: OPS, groups: [GROUPS.erp], validTo: new Date(now.getTime() + DAY).toISOString() },
        person,
      );
      const mark = world.mark();
      if (!allowed) {
        const err = await rejection(run(op, seeded.id));
        expect(err).toBeInstanceOf(Conflict);
        expect((err as Conflict).status).toBe(409);
        expect(await world.request(seeded.id)).toEqual(seeded);
        expect(world.eventsSince(mark)).toEqual([]);
        expect(world.jobs.scheduled).toEqual([]);
        return;
      }
      const after = await run(op, seeded.id);
      const { action, to } = outcome[op];
      expect(after.status).toBe(to ?? from);
      if (to) expect(canMove(from, to)).toBe(true);
      expect(await world.request(seeded.id)).toEqual(after);
      expect(world.eventsSince(mark)).toEqual([[action, `request:${seeded.id}`, 'success']]);
      expect(world.events().at(-1)!.details).toMatchObject({ from, to: to ?? from });
    });
  });

  describe('cancel, revoke and retry', () => {
    it('cancels a pending request, and tells a caller to revoke once the account exists', async () => {
      const { person } = await world.vendorWithPerson();
      const filed = await world.requests.file(OPS, world.terms(person.id));
      const cancelled = await world.requests.cancel(OPS, filed.id);
      expect(cancelled).toMatchObject({ status: 'cancelled', cancellation: { by: OPS } });
      expect(await world.store.idsInStatus('pending')).toEqual([]);

      const active = await world.active(person.id);
      const err = await rejection(world.requests.cancel(OPS, active.id));
      expect(err).toBeInstanceOf(Conflict);
      expect(err.message).toMatch(/revoke it instead/);
    });

    it('records a revocation once, keeps the status until the directory confirms, and queues the revoke job', async () => {
      const { person } = await world.vendorWithPerson();
      const active = await world.active(person.id);
      world.jobs.scheduled.length = 0;
      const mark = world.mark();
      const first = await world.requests.revoke(SUPERVISOR, active.id, 'manual', 'work done');
      world.clock.advance(1000);
      const again = await world.requests.revoke(SUPERVISOR, active.id, 'departure');
      expect(first).toMatchObject({ status: 'active', revocation: { trigger: 'manual', by: SUPERVISOR, reason: 'work done' } });
      expect(again).toEqual(first);
      expect(await world.store.pendingRevocations(world.clock.now().getTime(), 10)).toEqual([active.id]);
      expect(world.eventsSince(mark)).toEqual([['revocation.requested', `request:${active.id}`, 'success']]);
      // Each ask queues the job (the queue deduplicates per request and trigger); the revoke service uses the first trigger.
      expect(world.jobs.revocations()).toEqual([
        { job: 'revoke', requestId: active.id, trigger: 'manual' },
        { job: 'revoke', requestId: active.id, trigger: 'departure' },
      ]);

      await world.revoker.revoke(active.id, 'departure');
      expect(await world.request(active.id)).toMatchObject({ status: 'revoked', revocation: { trigger: 'manual' } });
    });

    it('refuses to revoke a pending request (cancel it instead)', async () => {
      const { person } = await world.vendorWithPerson();
      const filed = await world.requests.file(OPS, world.terms(person.id));
      const err = await rejection(world.requests.revoke(SUPERVISOR, filed.id, 'manual'));
      expect(err).toBeInstanceOf(Conflict);
      expect(err.message).toMatch(/cancel it instead/);
    });

    it('retries a failed request as a new attempt, and not one whose revocation is pending', async () => {
      const { person } = await world.vendorWithPerson();
      const approved = await world.approved(person.id);
      await world.provisionerOn().fail(approved.id, 'directory refused');
      world.jobs.scheduled.length = 0;
      const retried = await world.requests.retry('admin-carol', approved.id);
      expect(retried).toMatchObject({ status: 'approved', attempt: 2 });
      expect(world.jobs.scheduled).toEqual([{ job: 'provision', requestId: approved.id, attempt: 2, at: approved.validFrom }]);

      await world.provisionerOn().fail(approved.id, 'directory refused again');
      await world.requests.revoke(SUPERVISOR, approved.id, 'manual');
      const err = await rejection(world.requests.retry('admin-carol', approved.id));
      expect(err).toBeInstanceOf(Conflict);
      expect(err.message).toMatch(/revocation pending/);
      expect((await world.request(approved.id)).status).toBe('failed');
    });
  });
});
