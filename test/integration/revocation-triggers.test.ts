import { beforeAll, describe, expect, inject, it } from 'vitest';
import { childDn } from '../../src/provisioner/ldap/escape.js';
import { probe } from '../support/directory-probe.js';
import { fileRequest, untilStatus, vendorWithPerson } from '../support/fixtures.js';
import type { apiClient, DirectoryTarget, TestService } from '../support/service-harness.js';
import { useSlapdService } from '../support/slapd-service.js';

describe('revocation triggers', () => {
  const f = useSlapdService('revoke');
  const group = childDn('cn', 'lab-helpdesk', inject('slapd').groupsOu);
  let svc: TestService;
  let api: ReturnType<typeof apiClient>;
  let target: DirectoryTarget;
  beforeAll(() => {
    ({ svc, api, target } = f);
  });

  async function activeWithPassword(personId: string) {
    const id = await fileRequest(api, svc, personId, group);
    const active = await untilStatus(api, svc, id, 'active');
    const cred = await api('POST', `/v1/requests/${id}/credentials`, svc.tokens.requester, {});
    expect(await probe.canBind(target, active.account.dn, cred.body.password)).toBe(true);
    return { id, dn: active.account.dn as string, password: cred.body.password as string };
  }

  async function expectGone(id: string, dn: string, password: string, status = 'revoked') {
    const started = Date.now();
    const r = await untilStatus(api, svc, id, status, 10_000);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(await probe.canBind(target, dn, password)).toBe(false);
    expect(await probe.groupMembers(target, group)).not.toContain(dn.toLowerCase());
    return r;
  }

  it('revokes at once on an early revocation, recording who and why', async () => {
    const { personId } = await vendorWithPerson(api, svc, 'Early Co');
    const a = await activeWithPassword(personId);
    const res = await api('POST', `/v1/requests/${a.id}/revoke`, svc.tokens.automation, { reason: 'work finished early' });
    expect(res.status).toBe(202);
    const r = await expectGone(a.id, a.dn, a.password);
    expect(r.revocation).toMatchObject({ trigger: 'manual', by: 'automation', reason: 'work finished early' });
    expect((await api('POST', `/v1/requests/${a.id}/revoke`, svc.tokens.automation, { reason: 'again' })).status).toBe(409);
  });

  it('revokes every account of a person who leaves, and approves nothing new for them', async () => {
    const { personId } = await vendorWithPerson(api, svc, 'Leaver Co');
    const a = await activeWithPassword(personId);
    const b = await activeWithPassword(personId);
    const pending = await fileRequest(api, svc, personId, group, { approve: false });
    const dep = await api('POST', `/v1/people/${personId}/departure`, svc.tokens.automation, { reason: 'left the company' });
    expect(dep.status).toBe(202);
    expect(dep.body.revoked.sort()).toEqual([a.id, b.id].sort());
    expect(dep.body.cancelled).toEqual([pending]);
    for (const x of [a, b]) expect((await expectGone(x.id, x.dn, x.password)).revocation.trigger).toBe('departure');
    const again = await api('POST', '/v1/requests', svc.tokens.requester, {
      personId,
      workDescription: 'x',
      targetSystems: ['erp'],
      groups: [group],
      validFrom: new Date().toISOString(),
      validTo: new Date(Date.now() + 3_600_000).toISOString(),
    });
    expect(again.status).toBe(422);
    expect(again.body.error.details.map((d: { rule: string }) => d.rule)).toContain('person_active');
    expect((await api('POST', `/v1/people/${personId}/departure`, svc.tokens.automation, { reason: 'twice' })).status).toBe(409);
  });

  it('revokes at effectiveAt for a departure announced ahead', async () => {
    const { personId } = await vendorWithPerson(api, svc, 'Notice Co');
    const a = await activeWithPassword(personId);
    const effectiveAt = new Date(Date.now() + 3000);
    const dep = await api('POST', `/v1/people/${personId}/departure`, svc.tokens.requester, {
      reason: 'contract role ends',
      effectiveAt: effectiveAt.toISOString(),
    });
    expect(dep.status).toBe(202);
    expect(dep.body.person.status).toBe('active');
    expect(await probe.canBind(target, a.dn, a.password)).toBe(true);
    await expectGone(a.id, a.dn, a.password);
    expect(Date.now()).toBeGreaterThanOrEqual(effectiveAt.getTime());
    expect((await api('GET', `/v1/people/${personId}`, svc.tokens.auditor)).body.status).toBe('departed');
  });

  it('revokes every account of every person when the vendor is terminated', async () => {
    const { vendorId, personId } = await vendorWithPerson(api, svc, 'Terminated Co');
    const other = await api('POST', `/v1/vendors/${vendorId}/people`, svc.tokens.requester, {
      fullName: 'Lin Mei',
      email: 'lin@t.test',
      ndaSignedAt: new Date(Date.now() - 1000).toISOString(),
      ndaRef: 'NDA-2',
    });
    const a = await activeWithPassword(personId);
    const b = await activeWithPassword(other.body.id);
    const res = await api('POST', `/v1/vendors/${vendorId}/terminate`, svc.tokens.approver, { reason: 'contract cancelled' });
    expect(res.status).toBe(202);
    for (const x of [a, b]) expect((await expectGone(x.id, x.dn, x.password)).revocation.trigger).toBe('vendor-terminated');
    expect(
      (
        await api('POST', `/v1/vendors/${vendorId}/people`, svc.tokens.requester, {
          fullName: 'New',
          email: 'n@t.test',
          ndaSignedAt: new Date().toISOString(),
          ndaRef: 'N',
        })
      ).status,
    ).toBe(409);
  });

  it("ends the vendor's access by itself when the contract end date passes", async () => {
    const contractEnd = new Date(Date.now() + 8000);
    const { vendorId, personId } = await vendorWithPerson(api, svc, 'Ending Co', contractEnd);
    const id = await fileRequest(api, svc, personId, group, { validForMs: 7000 });
    const active = await untilStatus(api, svc, id, 'active');
    const pending = await fileRequest(api, svc, personId, group, { approve: false, validForMs: 5000 });
    await untilStatus(api, svc, pending, 'cancelled', 15_000);
    expect(Date.now()).toBeGreaterThanOrEqual(contractEnd.getTime());
    const vendor = await api('GET', `/v1/vendors/${vendorId}`, svc.tokens.auditor);
    expect(vendor.body.status).toBe('terminated');
    const ended = await api('GET', `/v1/requests/${id}`, svc.tokens.auditor);
    expect(['expired', 'revoked']).toContain(ended.body.status);
    expect(ended.body.account.state).toBe('disabled');
    expect(active.account.dn).toBeTruthy();
  });
});
