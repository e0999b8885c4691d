import { beforeAll, describe, expect, inject, it } from 'vitest';
import { childDn } from '../../src/provisioner/ldap/escape.js';
import { probe } from '../support/directory-probe.js';
import { auditTrail, untilStatus, vendorWithPerson } from '../support/fixtures.js';
import type { apiClient, TestService } from '../support/service-harness.js';
import { useSlapdService } from '../support/slapd-service.js';

const DAY = 86_400_000;
const EXCEPTION = { justification: 'the ERP migration spans the whole term', memoRef: 'MEMO-2026-031' };

/** Clause 1.9 over HTTP against the run's slapd and Redis: an exception is provisioned only after both approvals. */
describe('exceptions (clause 1.9)', () => {
  const f = useSlapdService('exc');
  const slapd = inject('slapd');
  const group = childDn('cn', 'erp-support', slapd.groupsOu);
  let svc: TestService;
  let api: ReturnType<typeof apiClient>;
  let exceptionApprover: string;
  beforeAll(async () => {
    ({ svc, api } = f);
    const made = await api('POST', '/v1/tokens', svc.tokens.admin, { name: 'exc-carol', roles: ['exception-approver'] });
    expect(made.status, JSON.stringify(made.body)).toBe(201);
    exceptionApprover = made.body.token as string;
  });

  const terms = (personId: string, days: number, extra: Record<string, unknown> = {}) => ({
    personId,
    workDescription: 'ERP migration',
    targetSystems: ['erp-app01'],
    groups: [group],
    validFrom: new Date(Date.now() - 60_000).toISOString(),
    validTo: new Date(Date.now() + days * DAY).toISOString(),
    ...extra,
  });

  it('provisions a 45-day request filed with an exception only after the usual and the exception approval; the trail verifies', async () => {
    const { personId } = await vendorWithPerson(api, svc, 'Exception Co');

    const plain = await api('POST', '/v1/requests', svc.tokens.requester, terms(personId, 45));
    expect(plain.status).toBe(422);
    expect(plain.body.error.details).toEqual([expect.objectContaining({ rule: 'max_validity_days', field: 'validTo', relaxable: true })]);

    const filed = await api('POST', '/v1/requests', svc.tokens.requester, terms(personId, 45, { exception: EXCEPTION }));
    expect(filed.status, JSON.stringify(filed.body)).toBe(201);
    expect(filed.body).toMatchObject({ status: 'pending', exception: { ...EXCEPTION, rules: ['max_validity_days'], approvals: [] } });
    const id = filed.body.id as string;

    // Neither the requester nor a plain approver may give the exception approval.
    expect((await api('POST', `/v1/requests/${id}/exception/approve`, svc.tokens.requester, {})).status).toBe(403);
    expect((await api('POST', `/v1/requests/${id}/exception/approve`, svc.tokens.approver, {})).status).toBe(403);

    const half = await api('POST', `/v1/requests/${id}/approve`, svc.tokens.approver, { comment: 'work is needed' });
    expect(half.status).toBe(200);
    expect(half.body).toMatchObject({ status: 'pending', approval: { by: 'approver' } });
    // Give the worker time to do what it should not: no account appears in slapd while the exception approval is missing.
    await new Promise((r) => setTimeout(r, 2_500));
    expect((await api('GET', `/v1/requests/${id}`, svc.tokens.auditor)).body).toMatchObject({ status: 'pending', account: null });
    expect(await probe.entriesUnder(f.target, f.subtree.dn)).toEqual([]);

    const approved = await api('POST', `/v1/requests/${id}/exception/approve`, exceptionApprover, { comment: 'memo signed by the director' });
    expect(approved.status, JSON.stringify(approved.body)).toBe(200);
    expect(approved.body).toMatchObject({
      status: 'approved',
      exception: { approvals: [{ by: 'exc-carol', role: 'exception-approver', comment: 'memo signed by the director' }] },
    });
    const active = await untilStatus(api, svc, id, 'active');
    const cred = await api('POST', `/v1/requests/${id}/credentials`, svc.tokens.requester, {});
    expect(cred.status).toBe(200);
    expect(await probe.canBind(f.target, active.account.dn as string, cred.body.password as string)).toBe(true);

    const verify = await api('GET', '/v1/audit/verify', svc.tokens.auditor);
    expect(verify.body).toMatchObject({ ok: true });
    const mine = (await auditTrail(svc)).filter((e) => e.subject === `request:${id}`).map((e) => e.action);
    expect(mine).toEqual(
      expect.arrayContaining(['request.filed', 'exception.requested', 'request.approval_recorded', 'exception.approved', 'request.approved', 'request.active']),
    );
    expect(mine.indexOf('exception.approved')).toBeLessThan(mine.indexOf('request.approved'));
    const listed = await api('GET', `/v1/audit?subject=request:${id}&action=exception.requested`, svc.tokens.auditor);
    expect(listed.body.items).toEqual([
      expect.objectContaining({ action: 'exception.requested', details: { rules: ['max_validity_days'], memoRef: EXCEPTION.memoRef } }),
    ]);
  });

  it('refuses what no exception relaxes (a privileged group, a validity over the cap, no broken rule) and rejects on the exception approver’s refusal', async () => {
    const { personId } = await vendorWithPerson(api, svc, 'Refused Exception Co', new Date(Date.now() + 400 * DAY));
    const wheel = childDn('cn', 'wheel', slapd.groupsOu);
    const privileged = await api('POST', '/v1/requests', svc.tokens.requester, terms(personId, 45, { groups: [wheel], exception: EXCEPTION }));
    expect(privileged.status).toBe(422);
    expect(privileged.body.error.details.map((d: { rule: string }) => d.rule)).toEqual(['no_privileged_groups']);
    const tooLong = await api('POST', '/v1/requests', svc.tokens.requester, terms(personId, 200, { exception: EXCEPTION }));
    expect(tooLong.status).toBe(422);
    expect(tooLong.body.error.details).toEqual([expect.objectContaining({ rule: 'max_validity_days', relaxable: false })]);
    const needless = await api('POST', '/v1/requests', svc.tokens.requester, terms(personId, 7, { exception: EXCEPTION }));
    expect(needless.status).toBe(422);
    expect(needless.body.error.details).toEqual([expect.objectContaining({ rule: 'exception_not_needed', field: 'exception' })]);
    const blank = await api('POST', '/v1/requests', svc.tokens.requester, terms(personId, 45, { exception: { justification: ' ', memoRef: 'M-1' } }));
    expect(blank.status).toBe(400);

    const filed = await api('POST', '/v1/requests', svc.tokens.requester, terms(personId, 45, { exception: EXCEPTION }));
    const id = filed.body.id as string;
    const rejected = await api('POST', `/v1/requests/${id}/exception/reject`, exceptionApprover, { reason: 'the memo is not signed' });
    expect(rejected.status).toBe(200);
    expect(rejected.body).toMatchObject({ status: 'rejected', rejection: { by: 'exc-carol', reason: 'the memo is not signed' } });
    expect((await api('POST', `/v1/requests/${id}/approve`, svc.tokens.approver, {})).status).toBe(409);
    const actions = (await auditTrail(svc)).filter((e) => e.subject === `request:${id}`).map((e) => e.action);
    expect(actions).toEqual(['request.filed', 'exception.requested', 'exception.rejected', 'request.rejected']);
  });
});
