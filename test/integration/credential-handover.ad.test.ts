import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { childDn } from '../../src/provisioner/ldap/escape.js';
import { createAdSubtree, type AdSubtree } from '../rig/samba.js';
import { probe } from '../support/directory-probe.js';
import { fileRequest, untilStatus, vendorWithPerson } from '../support/fixtures.js';
import { apiClient, sambaTarget, startTestService, type DirectoryTarget, type TestService } from '../support/service-harness.js';

const samba = inject('samba');

describe.skipIf(!samba)('handover to the vendor and the first logon on Active Directory (Samba AD DC)', () => {
  let subtree: AdSubtree;
  let target: DirectoryTarget;
  let svc: TestService;
  let api: ReturnType<typeof apiClient>;

  beforeAll(async () => {
    subtree = await createAdSubtree('handover');
    target = sambaTarget(samba!, subtree.dn);
    svc = await startTestService({
      redisUrl: inject('redisUrl'),
      directory: target,
      policy: { credentials: { handover: 'vendor', pickupHours: 24, mustChangeAtFirstLogon: true } },
    });
    api = apiClient(svc.url);
  });
  afterAll(async () => {
    await svc?.close();
    await subtree?.cleanup();
  });

  it('hands the password to the vendor by link and code; a bind with it answers data 773 until the vendor changes it', async () => {
    const { personId } = await vendorWithPerson(api, svc, 'AD Handover Co');
    const id = await fileRequest(api, svc, personId, childDn('CN', 'erp-support', samba!.groupsOu));
    const active = await untilStatus(api, svc, id, 'active', 30_000);
    const dn = active.account.dn as string;

    expect((await api('POST', `/v1/requests/${id}/credentials`, svc.tokens.requester, {})).status).toBe(409);
    const issued = await api('POST', `/v1/requests/${id}/handover`, svc.tokens.requester, {});
    expect(issued.status).toBe(201);
    const token = (issued.body.pickupUrl as string).split('/pickup/')[1]!;
    const picked = await api('POST', `/v1/pickup/${token}`, undefined, { code: issued.body.code });
    expect(picked.status).toBe(200);
    const password = picked.body.password as string;

    // pwdLastSet=0: the DC checks the password, then refuses the logon until it is changed.
    const [entry] = await subtree.admin.search(dn, { scope: 'base', attributes: ['pwdLastSet'] }, 'read pwdLastSet');
    expect(String(entry!.pwdLastSet)).toBe('0');
    expect(await probe.bindOutcome(target, dn, password)).toBe('must-change');
    expect(await probe.bindOutcome(target, dn, `${password}-wrong`)).toBe('refused');

    // A change (not a reset) is checked against the old password: a wrong one fails, the right one works.
    const changed = `Vendor-Own-${Date.now()}-Pw!`;
    await expect(probe.adChangePassword(target, dn, `${password}-wrong`, changed)).rejects.toThrow();
    await probe.adChangePassword(target, dn, password, changed);
    expect(await probe.bindOutcome(target, dn, changed)).toBe('bound');
    expect(await probe.bindOutcome(target, dn, password)).toBe('refused');
    const [after] = await subtree.admin.search(dn, { scope: 'base', attributes: ['pwdLastSet'] }, 'read pwdLastSet');
    expect(String(after!.pwdLastSet)).not.toBe('0');
  }, 90_000);

  it('with mustChangeAtFirstLogon false, the initial password binds at once', async () => {
    // A container of its own: the first service's reconciler would disable an account made by this one
    // (no live request in its store) in a container both watch.
    const plain = await createAdSubtree('handover-plain');
    const plainTarget = sambaTarget(samba!, plain.dn);
    const other = await startTestService({
      redisUrl: inject('redisUrl'),
      directory: plainTarget,
      policy: { credentials: { handover: 'requester', pickupHours: 24, mustChangeAtFirstLogon: false } },
    });
    try {
      const otherApi = apiClient(other.url);
      const { personId } = await vendorWithPerson(otherApi, other, 'AD Plain Co');
      const id = await fileRequest(otherApi, other, personId, childDn('CN', 'erp-support', samba!.groupsOu));
      const active = await untilStatus(otherApi, other, id, 'active', 30_000);
      const password = (await otherApi('POST', `/v1/requests/${id}/credentials`, other.tokens.requester, {})).body.password as string;
      expect(await probe.bindOutcome(plainTarget, active.account.dn, password)).toBe('bound');
    } finally {
      await other.close();
      await plain.cleanup();
    }
  }, 90_000);
});
