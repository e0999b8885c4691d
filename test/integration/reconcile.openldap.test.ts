import { Attribute, Change } from 'ldapts';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { childDn } from '../../src/provisioner/ldap/escape.js';
import { createLdapSubtree, type LdapSubtree } from '../rig/ldap-subtree.js';
import { probe } from '../support/directory-probe.js';
import { auditedEvent, auditTrail, fileRequest, untilStatus, vendorWithPerson } from '../support/fixtures.js';
import { apiClient, eventually, startTestService, type DirectoryTarget, type TestService, slapdTarget } from '../support/service-harness.js';

describe('reconciliation against OpenLDAP', () => {
  let subtree: LdapSubtree;
  let svc: TestService;
  let api: ReturnType<typeof apiClient>;
  let target: DirectoryTarget;
  const slapd = () => inject('slapd');
  const groupDn = (cn: string) => childDn('cn', cn, slapd().groupsOu);

  beforeAll(async () => {
    subtree = await createLdapSubtree('recon');
    target = slapdTarget(slapd(), subtree.dn);
    svc = await startTestService({ redisUrl: inject('redisUrl'), directory: target, policy: { reconcileIntervalSeconds: 1 } });
    api = apiClient(svc.url);
  });
  afterAll(async () => {
    await svc?.close();
    await subtree?.cleanup();
  });

  async function activeAccount(name: string) {
    const { personId } = await vendorWithPerson(api, svc, name);
    const id = await fileRequest(api, svc, personId, groupDn('erp-support'));
    const r = await untilStatus(api, svc, id, 'active');
    const password = (await api('POST', `/v1/requests/${id}/credentials`, svc.tokens.requester, {})).body.password as string;
    return { id, dn: r.account.dn as string, password };
  }

  it('takes a vendor account out of a privileged group somebody added it to by hand, and flags the request', async () => {
    const a = await activeAccount('Drift Co');
    await subtree.admin.modify(groupDn('wheel'), new Change({ operation: 'add', modification: new Attribute({ type: 'member', values: [a.dn] }) }));
    await subtree.admin.modify(groupDn('erp-admins'), new Change({ operation: 'add', modification: new Attribute({ type: 'member', values: [a.dn] }) }));
    expect(await probe.groupMembers(target, groupDn('wheel'))).toContain(a.dn.toLowerCase());
    await eventually(async () => {
      const wheel = await probe.groupMembers(target, groupDn('wheel'));
      const nested = await probe.groupMembers(target, groupDn('erp-admins'));
      return !wheel.includes(a.dn.toLowerCase()) && !nested.includes(a.dn.toLowerCase());
    }, 10_000);
    expect(await probe.groupMembers(target, groupDn('erp-support'))).toContain(a.dn.toLowerCase());
    const r = await api('GET', `/v1/requests/${a.id}`, svc.tokens.auditor);
    expect(r.body.flags.map((f: { kind: string }) => f.kind)).toContain('privilege_drift');
    expect(await probe.canBind(target, a.dn, a.password)).toBe(true);
  });

  it('disables an enabled account made by hand in the vendor container (no back doors)', async () => {
    const dn = childDn('uid', 'backdoor', subtree.dn);
    // Enabling (lifting the lock and any end time) is the last write: the reconciler (every second) may pass
    // between any two of them, and only the pass that sees the account enabled writes the event waited for below.
    // A pass that comes after the group is added and before this write disables and strips the account (its
    // pwdEndTime now past): lifting the end time too, as an administrator re-enabling by hand would, enables it
    // again, so that there is always an enabled back door to find.
    await subtree.admin.add(dn, {
      objectClass: ['inetOrgPerson', 'posixAccount', 'shadowAccount'],
      uid: ['backdoor'],
      cn: ['Back Door'],
      sn: ['Door'],
      uidNumber: ['299999'],
      gidNumber: ['200000'],
      homeDirectory: ['/home/backdoor'],
      userPassword: ['Sesame-0pen-Sesame'],
      pwdAccountLockedTime: ['000001010000Z'],
    });
    await subtree.admin.modify(groupDn('lab-helpdesk'), new Change({ operation: 'add', modification: new Attribute({ type: 'member', values: [dn] }) }));
    await subtree.admin.modify(dn, [
      new Change({ operation: 'replace', modification: new Attribute({ type: 'pwdAccountLockedTime', values: [] }) }),
      new Change({ operation: 'replace', modification: new Attribute({ type: 'pwdEndTime', values: [] }) }),
    ]);
    // Wait for the record of the act, not a side effect: once it is in the trail, the act is done.
    await eventually(
      async () => (await auditTrail(svc)).find((e) => e.action === 'reconcile.orphan_disabled' && e.details?.dn === dn && e.details.wasEnabled === true),
      15_000,
    );
    expect(await probe.canBind(target, dn, 'Sesame-0pen-Sesame')).toBe(false);
    expect(await probe.groupMembers(target, groupDn('lab-helpdesk'))).not.toContain(dn.toLowerCase());
  });

  it('strips the groups of a disabled account without a request that still holds them (a pass died part-way), and audits it', async () => {
    const uid = `halfdone-${Date.now() % 1_000_000}`;
    const dn = childDn('uid', uid, subtree.dn);
    // Disabled from its first write, as a pass that died between disabling and stripping leaves it.
    await subtree.admin.add(dn, {
      objectClass: ['inetOrgPerson', 'posixAccount', 'shadowAccount'],
      uid: [uid],
      cn: ['Half Done'],
      sn: ['Done'],
      uidNumber: ['299998'],
      gidNumber: ['200000'],
      homeDirectory: [`/home/${uid}`],
      userPassword: ['Sesame-0pen-Sesame'],
      pwdAccountLockedTime: ['000001010000Z'],
    });
    expect(await probe.canBind(target, dn, 'Sesame-0pen-Sesame')).toBe(false);
    await subtree.admin.modify(groupDn('lab-helpdesk'), new Change({ operation: 'add', modification: new Attribute({ type: 'member', values: [dn] }) }));
    const done = await auditedEvent(svc, 'reconcile.orphan_disabled', uid);
    expect(done.details).toMatchObject({ dn, wasEnabled: false, removedGroups: [groupDn('lab-helpdesk')] });
    expect(await probe.groupMembers(target, groupDn('lab-helpdesk'))).not.toContain(dn.toLowerCase());
    expect(await probe.canBind(target, dn, 'Sesame-0pen-Sesame')).toBe(false);
    // The finding was recorded before the change.
    const found = (await auditTrail(svc)).find((e) => e.action === 'reconcile.orphan_found' && JSON.stringify(e).includes(uid));
    expect(found && found.seq < done.seq).toBe(true);
  });

  it('disables again an account the store says is revoked but somebody re-enabled in the directory', async () => {
    const a = await activeAccount('Zombie Co');
    expect((await api('POST', `/v1/requests/${a.id}/revoke`, svc.tokens.approver, { reason: 'done' })).status).toBe(202);
    await untilStatus(api, svc, a.id, 'revoked');
    // Two steps, as an administrator would: ppolicy itself drops the lock when the password is reset.
    await subtree.admin.modify(a.dn, new Change({ operation: 'replace', modification: new Attribute({ type: 'userPassword', values: ['Zombie-Passw0rd'] }) }));
    await subtree.admin.modify(a.dn, [
      new Change({ operation: 'replace', modification: new Attribute({ type: 'pwdAccountLockedTime', values: [] }) }),
      new Change({ operation: 'replace', modification: new Attribute({ type: 'pwdEndTime', values: [] }) }),
    ]);
    expect(await probe.canBind(target, a.dn, 'Zombie-Passw0rd')).toBe(true);
    await eventually(async () => !(await probe.canBind(target, a.dn, 'Zombie-Passw0rd')), 10_000);
  });
});

describe('retention', () => {
  it('deletes a disabled account from the directory after retentionDays and keeps its record', async () => {
    const subtree = await createLdapSubtree('retain');
    const s = inject('slapd');
    const target: DirectoryTarget = slapdTarget(s, subtree.dn);
    const svc = await startTestService({ redisUrl: inject('redisUrl'), directory: target, policy: { retentionDays: 0, reconcileIntervalSeconds: 1 } });
    const api = apiClient(svc.url);
    try {
      const { personId } = await vendorWithPerson(api, svc, 'Retained Co');
      const id = await fileRequest(api, svc, personId, childDn('cn', 'erp-support', s.groupsOu));
      await untilStatus(api, svc, id, 'active');
      await api('POST', `/v1/requests/${id}/revoke`, svc.tokens.approver, { reason: 'done' });
      const deleted = await eventually(async () => {
        const r = await api('GET', `/v1/requests/${id}`, svc.tokens.auditor);
        return r.body.account.state === 'deleted' ? r.body : null;
      }, 10_000);
      expect(deleted.status).toBe('revoked');
      expect(await probe.entriesUnder(target, subtree.dn)).toHaveLength(0);
    } finally {
      await svc.close();
      await subtree.cleanup();
    }
  });
});
