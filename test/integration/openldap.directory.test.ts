import { randomBytes } from 'node:crypto';
import { Attribute, Change } from 'ldapts';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { AccountSpec } from '../../src/domain/ports/directory.port.js';
import { childDn, sameDn } from '../../src/provisioner/ldap/escape.js';
import { LdapConnection } from '../../src/provisioner/ldap/ldap-connection.js';
import { attrValue, attrValues, fromGeneralizedTime } from '../../src/provisioner/ldap/ldap-entry.js';
import { eq } from '../../src/provisioner/ldap/ldap-filters.js';
import { uidNumberCandidate } from '../../src/provisioner/openldap/openldap-account-entry.js';
import { OpenLdapDirectory } from '../../src/provisioner/openldap/openldap.directory.js';
import { createLdapSubtree, type LdapSubtree } from '../rig/ldap-subtree.js';
import { probe } from '../support/directory-probe.js';
import { slapdTarget } from '../support/service-harness.js';

const slapd = inject('slapd');
const rand = (): string => randomBytes(3).toString('hex');
const DAY_MS = 86_400_000;
const PASSWORD = 'Vendor-Pa55word!x';

describe('OpenLDAP directory specifics', () => {
  let tree: LdapSubtree;
  let vendorOu: string;
  let groupsOu: string;
  let dir: OpenLdapDirectory;

  beforeAll(async () => {
    tree = await createLdapSubtree('ol');
    vendorOu = await tree.addOu('accounts');
    groupsOu = await tree.addOu('groups');
    const connection = new LdapConnection({
      url: slapd.ldapsUrl,
      startTls: false,
      ca: slapd.caPem,
      bindDn: slapd.bindDn,
      bindPassword: slapd.bindPassword,
      timeoutMs: 10_000,
      poolSize: 8,
    });
    dir = new OpenLdapDirectory({
      connection,
      vendorOu,
      baseDn: slapd.baseDn,
      privilegedGroups: ['legacy-superusers', childDn('cn', 'exact-dn-group', groupsOu)],
      vendorGid: slapd.vendorGid,
    });
  });
  afterAll(async () => {
    await dir?.close();
    await tree?.cleanup();
  });

  const spec = (label: string, extra: Partial<AccountSpec> = {}): AccountSpec => ({
    requestId: `req-${label}-${rand()}`,
    username: `v-${label}-${rand()}`,
    givenName: 'Vera',
    surname: 'Vendor',
    displayName: 'Vera Vendor',
    email: 'vera@vendor.example',
    description: 'ERP upgrade',
    validTo: new Date(Date.now() + 3 * DAY_MS),
    ...extra,
  });
  const read = async (dn: string): Promise<Record<string, string | undefined>> => {
    const [e] = await tree.admin.search(dn, { scope: 'base', attributes: ['*', 'pwdAccountLockedTime', 'pwdEndTime'] });
    const out: Record<string, string | undefined> = {};
    for (const name of [
      'objectClass',
      'uid',
      'uidNumber',
      'gidNumber',
      'homeDirectory',
      'loginShell',
      'employeeNumber',
      'shadowExpire',
      'pwdAccountLockedTime',
      'pwdEndTime',
    ])
      out[name] = e && attrValues(e, name).join(',');
    return out;
  };
  const posixGroup = async (cn: string, gid: number): Promise<string> => {
    const dn = childDn('cn', cn, groupsOu);
    await tree.admin.add(dn, { objectClass: ['posixGroup'], cn: [cn], gidNumber: [String(gid)] });
    return dn;
  };

  it('writes a POSIX login account, born locked and expired, that enabling opens until validTo', async () => {
    const s = spec('posix');
    const account = await dir.createAccount(s);
    const created = await read(account.dn);
    expect(created).toMatchObject({
      objectClass: 'inetOrgPerson,posixAccount,shadowAccount',
      uid: s.username,
      gidNumber: String(slapd.vendorGid),
      homeDirectory: `/home/${s.username}`,
      loginShell: '/bin/bash',
      employeeNumber: s.requestId,
      pwdAccountLockedTime: '000001010000Z',
    });
    expect(Number(created.uidNumber)).toBeGreaterThanOrEqual(200_000);
    expect(fromGeneralizedTime(created.pwdEndTime!)!.getTime()).toBeLessThanOrEqual(Date.now());

    await dir.setPassword(account.dn, PASSWORD);
    await dir.enableAccount(account.dn, s.validTo);
    const enabled = await read(account.dn);
    expect(enabled.pwdAccountLockedTime).toBe('');
    expect(Math.abs(fromGeneralizedTime(enabled.pwdEndTime!)!.getTime() - s.validTo.getTime())).toBeLessThan(1000);
    expect(Number(enabled.shadowExpire)).toBe(Math.ceil(s.validTo.getTime() / DAY_MS));

    await dir.disableAccount(account.dn);
    const disabled = await read(account.dn);
    expect(disabled.pwdAccountLockedTime).toBe('000001010000Z');
    expect(Number(disabled.shadowExpire)).toBe(Math.floor(Date.now() / DAY_MS));
  });

  it('skips a uidNumber another entry already holds', async () => {
    const s = spec('uidclash');
    const uid = `squatter-${rand()}`;
    await tree.admin.add(childDn('uid', uid, tree.dn), {
      objectClass: ['account', 'posixAccount'],
      uid: [uid],
      cn: ['squatter'],
      uidNumber: [String(uidNumberCandidate(s.username, 0))],
      gidNumber: ['100'],
      homeDirectory: ['/nonexistent'],
    });
    const account = await dir.createAccount(s);
    expect(Number((await read(account.dn)).uidNumber)).toBe(uidNumberCandidate(s.username, 1));
  });

  it('writes memberUid for posixGroups and uniqueMember for groupOfUniqueNames', async () => {
    const account = await dir.createAccount(spec('classes'));
    const posix = await posixGroup(`app-${rand()}`, 31_000);
    const uniqueName = `legacy-${rand()}`;
    const uniqueDn = childDn('cn', uniqueName, groupsOu);
    await tree.admin.add(uniqueDn, { objectClass: ['groupOfUniqueNames'], cn: [uniqueName], uniqueMember: [''] });
    await dir.addToGroups(account.dn, [posix, uniqueDn]);
    await dir.addToGroups(account.dn, [posix, uniqueDn]);
    const [p] = await tree.admin.search(posix, { scope: 'base', attributes: ['memberUid'] });
    const [u] = await tree.admin.search(uniqueDn, { scope: 'base', attributes: ['uniqueMember'] });
    expect(attrValues(p!, 'memberUid')).toEqual([account.username]);
    expect(attrValues(u!, 'uniqueMember').some((m) => sameDn(m, account.dn))).toBe(true);
    expect((await dir.getAccount(account.dn))?.groups.map((g) => g.toLowerCase()).sort()).toEqual([posix, uniqueDn].map((g) => g.toLowerCase()).sort());
    await dir.removeFromGroups(account.dn, [posix, uniqueDn]);
    expect((await dir.getAccount(account.dn))?.groups).toEqual([]);
  });

  it('keeps a groupOfNames valid when its last member leaves', async () => {
    const account = await dir.createAccount(spec('last'));
    const group = await tree.addGroup(`solo-${rand()}`, [account.dn], groupsOu);
    await dir.removeFromGroups(account.dn, [group]);
    expect(await tree.membersOf(group)).toEqual([]);
    await dir.addToGroups(account.dn, [group]);
    expect((await tree.membersOf(group)).some((m) => sameDn(m, account.dn))).toBe(true);
  });

  it('treats gid-0 posixGroups, built-in names in any case and policy names or DNs as privileged', async () => {
    const gid0 = await posixGroup(`operators-${rand()}`, 0);
    const wheel = await tree.addGroup('Wheel', [''], groupsOu);
    const sudoers = await tree.addGroup('SUDOERS', [''], groupsOu);
    const byName = await tree.addGroup('legacy-superusers', [''], groupsOu);
    const byDn = await tree.addGroup('exact-dn-group', [''], groupsOu);
    const plain = await tree.addGroup('sudo-lecture-notes', [''], groupsOu);
    const result = await dir.privilegedGroupsOf([gid0, wheel, sudoers, byName, byDn, plain]);
    expect([...result.keys()].sort()).toEqual([gid0, wheel, sudoers, byName, byDn].sort());
  });

  it('resolves the seeded nesting: erp-admins leads to dba-team', async () => {
    const erpAdmins = childDn('cn', 'erp-admins', slapd.groupsOu);
    const result = await dir.privilegedGroupsOf([erpAdmins, childDn('cn', 'erp-support', slapd.groupsOu)]);
    expect([...result.entries()].map(([k, v]) => [k, v.toLowerCase()])).toEqual([[erpAdmins, childDn('cn', 'dba-team', slapd.groupsOu)]]);
  });

  it('lists every account with its groups across several pages', async () => {
    const bulkOu = await tree.addOu(`bulk-${rand()}`, vendorOu);
    const group = await tree.addGroup(`bulk-${rand()}`, [''], groupsOu);
    const dns = Array.from({ length: 520 }, (_, i) => childDn('uid', `bulk-${i}`, bulkOu));
    for (let i = 0; i < dns.length; i += 32)
      await Promise.all(
        dns.slice(i, i + 32).map((dn, j) => tree.admin.add(dn, { objectClass: ['inetOrgPerson'], uid: [`bulk-${i + j}`], cn: ['b'], sn: ['b'] })),
      );
    await tree.admin.modify(group, new Change({ operation: 'add', modification: new Attribute({ type: 'member', values: dns.slice(0, 3) }) }));
    const seen = new Map<string, string[]>();
    for await (const a of dir.listVendorAccounts()) if (a.dn.toLowerCase().endsWith(bulkOu.toLowerCase())) seen.set(a.username, a.groups);
    expect(seen.size).toBe(520);
    expect(seen.get('bulk-0')?.map((g) => g.toLowerCase())).toEqual([group.toLowerCase()]);
    expect(seen.get('bulk-519')).toEqual([]);
  });

  it('leaves a record of the vendor binds, refused and accepted, in the accesslog', async () => {
    const s = spec('audit');
    const account = await dir.createAccount(s);
    await dir.setPassword(account.dn, PASSWORD);
    const target = slapdTarget(slapd, vendorOu);
    expect(await probe.canBind(target, account.dn, PASSWORD)).toBe(false);
    await dir.enableAccount(account.dn, s.validTo);
    expect(await probe.canBind(target, account.dn, PASSWORD)).toBe(true);
    const log = await tree.admin.search(slapd.accesslogDn, { scope: 'one', filter: eq('reqDN', account.dn), attributes: ['reqType', 'reqResult'] });
    const binds = log.filter((e) => attrValue(e, 'reqType') === 'bind').map((e) => attrValue(e, 'reqResult'));
    expect(binds).toEqual(['49', '0']);
  });
});
