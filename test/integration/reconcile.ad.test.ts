import { Attribute, Change } from 'ldapts';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { childDn } from '../../src/provisioner/ldap/escape.js';
import { createAdSubtree, type AdSubtree } from '../rig/samba.js';
import { groupDnBySid } from '../support/ad-groups.js';
import { probe } from '../support/directory-probe.js';
import { auditedEvent, auditTrail, fileRequest, untilStatus, vendorWithPerson } from '../support/fixtures.js';
import { apiClient, eventually, startTestService, type DirectoryTarget, type TestService } from '../support/service-harness.js';

const samba = inject('samba');

describe.skipIf(!samba)('reconciliation against Active Directory (Samba AD DC)', () => {
  let subtree: AdSubtree;
  let svc: TestService;
  let api: ReturnType<typeof apiClient>;
  let target: DirectoryTarget;
  const groupDn = (cn: string): string => childDn('CN', cn, samba!.groupsOu);

  beforeAll(async () => {
    subtree = await createAdSubtree('recon');
    target = {
      url: samba!.ldapsUrl,
      dialect: 'ad',
      bindDn: samba!.bindDn,
      bindPassword: samba!.bindPassword,
      baseDn: samba!.baseDn,
      vendorOu: subtree.dn,
      caPem: samba!.caPem,
    };
    svc = await startTestService({ redisUrl: inject('redisUrl'), directory: target, policy: { reconcileIntervalSeconds: 1, privilegedGroups: ['dba-team'] } });
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

  it('refuses requests for Domain Admins, Backup Operators, the DBA group and a group nested in Domain Admins, naming the way', async () => {
    const { personId } = await vendorWithPerson(api, svc, 'Greedy Co');
    const domainAdmins = await groupDnBySid(subtree.admin, samba!.baseDn, `${samba!.domainSid}-512`);
    const backupOperators = await groupDnBySid(subtree.admin, samba!.baseDn, 'S-1-5-32-551');
    for (const group of [domainAdmins, backupOperators, groupDn('dba-team'), groupDn('helpdesk-tier2')]) {
      const filed = await api('POST', '/v1/requests', svc.tokens.requester, {
        personId,
        workDescription: 'maintenance',
        targetSystems: ['erp-app01'],
        groups: [group],
        validFrom: new Date(Date.now() - 60_000).toISOString(),
        validTo: new Date(Date.now() + 3_600_000).toISOString(),
      });
      expect(filed.status, group).toBe(422);
      expect(JSON.stringify(filed.body)).toContain(group === groupDn('helpdesk-tier2') ? 'Domain Admins' : group.split(',')[0]!.slice(3));
    }
  });

  it('takes a vendor account out of Domain Admins and of a group nested in it within a reconcile interval', async () => {
    const a = await activeAccount('Drift Co');
    const domainAdmins = await groupDnBySid(subtree.admin, samba!.baseDn, `${samba!.domainSid}-512`);
    await subtree.addMember(domainAdmins, a.dn);
    await subtree.addMember(groupDn('helpdesk-tier2'), a.dn);
    // No "it is a member now" check: the one-second reconciler may be quicker; the drift flag below shows it acted.
    await eventually(async () => {
      const direct = await probe.groupMembers(target, domainAdmins);
      const nested = await probe.groupMembers(target, groupDn('helpdesk-tier2'));
      return !direct.includes(a.dn.toLowerCase()) && !nested.includes(a.dn.toLowerCase());
    }, 10_000);
    expect(await probe.groupMembers(target, groupDn('erp-support'))).toContain(a.dn.toLowerCase());
    const r = await api('GET', `/v1/requests/${a.id}`, svc.tokens.auditor);
    expect(r.body.flags.map((f: { kind: string }) => f.kind)).toContain('privilege_drift');
    expect(await probe.canBind(target, a.dn, a.password)).toBe(true);
  });

  it('disables an enabled account made by hand in the vendor OU within a reconcile interval (no back doors)', async () => {
    const sam = `backdoor-${Date.now() % 1_000_000}`;
    const dn = childDn('CN', sam, subtree.dn);
    // Enabling is the last write: the reconciler (every second) may pass between any two of them,
    // and only the pass that sees the account enabled writes the event waited for below. A pass between
    // the group add and this write disables and strips the account and sets accountExpires to now:
    // clearing the expiry too, as an administrator re-enabling by hand would, enables it again.
    await subtree.admin.add(dn, { objectClass: ['top', 'person', 'organizationalPerson', 'user'], sAMAccountName: sam, userAccountControl: '514' });
    await subtree.admin.modify(
      dn,
      new Change({ operation: 'replace', modification: new Attribute({ type: 'unicodePwd', values: [Buffer.from('"Sesame-0pen-Sesame"', 'utf16le')] }) }),
    );
    await subtree.addMember(groupDn('lab-helpdesk'), dn);
    await subtree.admin.modify(dn, [
      new Change({ operation: 'replace', modification: new Attribute({ type: 'userAccountControl', values: ['512'] }) }),
      new Change({ operation: 'replace', modification: new Attribute({ type: 'accountExpires', values: ['0'] }) }),
    ]);
    // Wait for the record of the act, not a side effect: once it is in the trail, the act is done.
    await eventually(
      async () => (await auditTrail(svc)).find((e) => e.action === 'reconcile.orphan_disabled' && e.details?.dn === dn && e.details.wasEnabled === true),
      15_000,
    );
    expect(await probe.canBind(target, dn, 'Sesame-0pen-Sesame')).toBe(false);
    expect((await probe.groupMembers(target, groupDn('lab-helpdesk'))).includes(dn.toLowerCase())).toBe(false);
  });

  it('strips the groups of a disabled account without a request that still holds them (a pass died part-way), and audits it', async () => {
    const sam = `halfdone-${Date.now() % 1_000_000}`;
    const dn = childDn('CN', sam, subtree.dn);
    // Disabled from its first write (514), as a pass that died between disabling and stripping leaves it.
    await subtree.admin.add(dn, { objectClass: ['top', 'person', 'organizationalPerson', 'user'], sAMAccountName: sam, userAccountControl: '514' });
    await subtree.addMember(groupDn('lab-helpdesk'), dn);
    const done = await auditedEvent(svc, 'reconcile.orphan_disabled', sam);
    expect(done.details).toMatchObject({ dn, wasEnabled: false });
    expect((done.details!.removedGroups as string[]).map((g) => g.toLowerCase())).toEqual([groupDn('lab-helpdesk').toLowerCase()]);
    expect((await probe.groupMembers(target, groupDn('lab-helpdesk'))).includes(dn.toLowerCase())).toBe(false);
    const found = (await auditTrail(svc)).find((e) => e.action === 'reconcile.orphan_found' && JSON.stringify(e).includes(sam));
    expect(found && found.seq < done.seq).toBe(true);
  });
});
