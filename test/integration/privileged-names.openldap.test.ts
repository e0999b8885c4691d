import { randomBytes } from 'node:crypto';
import { Attribute, Change } from 'ldapts';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { childDn } from '../../src/provisioner/ldap/escape.js';
import { createLdapSubtree, type LdapSubtree } from '../rig/ldap-subtree.js';
import { probe } from '../support/directory-probe.js';
import { fileRequest, untilStatus, vendorWithPerson } from '../support/fixtures.js';
import { apiClient, eventually, slapdTarget, startTestService, type DirectoryTarget, type TestService } from '../support/service-harness.js';

/**
 * Clause 1.6.1 with groups known by several names: `cn` is multi-valued, and a
 * client (sudo-ldap, nss) finds a group by any value, so privilege is judged on
 * every cn value and on the RDN — at filing, at provisioning and in the drift scan.
 */
describe('privileged groups with several names (OpenLDAP)', () => {
  let subtree: LdapSubtree;
  let svc: TestService;
  let api: ReturnType<typeof apiClient>;
  let target: DirectoryTarget;
  let groupsOu: string;
  let personId: string;

  /** A groupOfNames with exactly these cn values, in this order (slapd returns them as stored). */
  const group = async (rdn: string, cns: string[], members: string[] = ['']): Promise<string> => {
    const dn = childDn('cn', rdn, groupsOu);
    await subtree.admin.add(dn, { objectClass: ['groupOfNames'], cn: cns, member: members });
    return dn;
  };
  const file = (groupDn: string) =>
    api('POST', '/v1/requests', svc.tokens.requester, {
      personId,
      workDescription: 'maintenance',
      targetSystems: ['erp-app01'],
      groups: [groupDn],
      validFrom: new Date(Date.now() - 60_000).toISOString(),
      validTo: new Date(Date.now() + 3_600_000).toISOString(),
    });
  const refusal = (body: { error?: { details?: { rule: string; group?: string; privilegedGroup?: string }[] } }) =>
    (body.error?.details ?? []).find((d) => d.rule === 'no_privileged_groups');

  beforeAll(async () => {
    subtree = await createLdapSubtree('privnames');
    groupsOu = await subtree.addOu('groups');
    target = slapdTarget(inject('slapd'), await subtree.addOu('accounts'));
    svc = await startTestService({ redisUrl: inject('redisUrl'), directory: target, policy: { reconcileIntervalSeconds: 1 } });
    api = apiClient(svc.url);
    ({ personId } = await vendorWithPerson(api, svc, 'Alias Co'));
  });
  afterAll(async () => {
    await svc?.close();
    await subtree?.cleanup();
  });

  it('refuses cn=sudo whose first cn value is helpdesk-tools, and a group nested inside it', async () => {
    const sudo = await group('sudo', ['helpdesk-tools', 'sudo']);
    const [entry] = await subtree.admin.search(sudo, { scope: 'base', attributes: ['cn'] });
    expect(entry!.cn).toEqual(['helpdesk-tools', 'sudo']); // the trap: a reader of the first value sees an ordinary name
    const inner = await group(`tools-inner-${randomBytes(3).toString('hex')}`, [`tools-inner`]);
    await subtree.admin.modify(sudo, new Change({ operation: 'add', modification: new Attribute({ type: 'member', values: [inner] }) }));

    const direct = await file(sudo);
    expect(direct.status, JSON.stringify(direct.body)).toBe(422);
    expect(refusal(direct.body)).toMatchObject({ group: sudo, privilegedGroup: sudo });
    const nested = await file(inner);
    expect(nested.status, JSON.stringify(nested.body)).toBe(422);
    expect(refusal(nested.body)).toMatchObject({ group: inner, privilegedGroup: sudo });
  });

  it('refuses a group with an ordinary RDN whose second cn value is privileged', async () => {
    const rdn = `lab-tools-${randomBytes(3).toString('hex')}`;
    const wheel = await group(rdn, [rdn, 'wheel']);
    const filed = await file(wheel);
    expect(filed.status, JSON.stringify(filed.body)).toBe(422);
    expect(refusal(filed.body)).toMatchObject({ group: wheel, privilegedGroup: wheel });
  });

  it('refuses at provisioning a group that gained a privileged cn value after approval', async () => {
    const rdn = `late-tools-${randomBytes(3).toString('hex')}`;
    const later = await group(rdn, [rdn]);
    const id = await fileRequest(api, svc, personId, later, { validFrom: new Date(Date.now() + 3000) });
    await subtree.admin.modify(later, new Change({ operation: 'add', modification: new Attribute({ type: 'cn', values: ['dba'] }) }));
    const failed = await untilStatus(api, svc, id, 'failed', 20_000);
    expect(failed.failure.reason).toContain('privileged');
    expect(await probe.entriesUnder(target, target.vendorOu)).toHaveLength(0);
  });

  it('takes a vendor account out of such a group when somebody adds it by hand (drift scan)', async () => {
    const id = await fileRequest(api, svc, personId, childDn('cn', 'erp-support', inject('slapd').groupsOu));
    const { account } = await untilStatus(api, svc, id, 'active');
    const dn = account.dn as string;
    const rdn = `root-${randomBytes(3).toString('hex')}`;
    // RDN and first value ordinary-looking to a first-value reader; "root" is the second value.
    const root = await group(`ops-${rdn}`, [`ops-${rdn}`, 'root'], [dn]);
    await eventually(async () => !(await probe.groupMembers(target, root)).includes(dn.toLowerCase()), 10_000);
    const r = await api('GET', `/v1/requests/${id}`, svc.tokens.auditor);
    expect(r.body.flags.map((f: { kind: string }) => f.kind)).toContain('privilege_drift');
  });
});
