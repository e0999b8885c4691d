import { createHash, randomBytes } from 'node:crypto';
import { Client } from 'ldapts';
import { childDn } from '../../src/provisioner/ldap/escape.js';

/** One entry to add: its DN and attribute values. */
export interface SeedEntry {
  dn: string;
  attributes: Record<string, string[]>;
}

/**
 * The demo staff who sign in to the console (issue 11), with their passwords
 * (a throwaway rig's, printed by `npm run dev` and used by the tests), the
 * role each gets and the group granting it. The auditor's role comes through
 * a nested group (audit-office ∈ leasehold-auditors); `nobody` is staff with
 * no mapped role. The same accounts are seeded in the Samba template (whose
 * password rules refuse a password containing the login name).
 */
export const DEMO_STAFF = [
  { login: 'requester', displayName: '王小明 (IT office)', password: 'Demo-Req-1234!', role: 'requester', group: 'leasehold-requesters' },
  { login: 'approver', displayName: '陳主任 (IT supervisor)', password: 'Demo-Appr-1234!', role: 'approver', group: 'leasehold-approvers' },
  { login: 'auditor', displayName: '林稽核 (auditor)', password: 'Demo-Aud-1234!', role: 'auditor', group: 'audit-office' },
  { login: 'admin', displayName: '張管理 (administrator)', password: 'Demo-Adm-1234!', role: 'admin', group: 'leasehold-admins' },
  { login: 'nobody', displayName: '李訪客 (no role)', password: 'Demo-None-1234!', role: undefined, group: undefined },
] as const;

/** policy.staff.roles for the demo tree: group names, so that the same policy fits OpenLDAP and the Samba template. */
export const DEMO_STAFF_ROLES = {
  requester: ['leasehold-requesters'],
  approver: ['leasehold-approvers'],
  auditor: ['leasehold-auditors'],
  admin: ['leasehold-admins'],
  'exception-approver': ['leasehold-exception-approvers'],
};

/** RFC 2307 `{SSHA}` hash, so that seeded passwords are not stored in clear. */
export function ssha(password: string): string {
  const salt = randomBytes(8);
  const digest = createHash('sha1').update(password).update(salt).digest();
  return `{SSHA}${Buffer.concat([digest, salt]).toString('base64')}`;
}

/** Where the seeded tree puts things. */
export interface SeedLayout {
  baseDn: string;
  peopleOu: string;
  groupsOu: string;
  vendorsOu: string;
  policiesOu: string;
  /** The ppolicy default policy entry (slapd.conf `ppolicy_default`). */
  defaultPolicyDn: string;
  /** The posixGroup every vendor account gets as its primary group. */
  vendorGid: number;
}

/** The fixed primary gidNumber of vendor accounts (a posixGroup `vendors` with it is seeded). */
const VENDOR_GID = 200000;

/** The DNs of the standard tree under `baseDn` (`dc=leasehold,dc=test` by default). */
export function seedLayout(baseDn = 'dc=leasehold,dc=test'): SeedLayout {
  const policiesOu = childDn('ou', 'policies', baseDn);
  return {
    baseDn,
    peopleOu: childDn('ou', 'people', baseDn),
    groupsOu: childDn('ou', 'groups', baseDn),
    vendorsOu: childDn('ou', 'vendors', baseDn),
    policiesOu,
    defaultPolicyDn: childDn('cn', 'default', policiesOu),
    vendorGid: VENDOR_GID,
  };
}

/**
 * The demo/test tree: two staff people; the console's demo staff and their
 * role groups (DEMO_STAFF); groupOfNames groups — ordinary
 * (erp-support, lab-helpdesk), privileged by name (wheel, sudo, admins,
 * dba-team) and privileged by nesting (erp-admins ∈ dba-team); a
 * groupOfUniqueNames (legacy-app); posixGroups root-group (gid 0) and vendors
 * (the vendor gid); and the ppolicy default policy with lockout on, so that
 * `pwdAccountLockedTime: 000001010000Z` locks for good and `pwdEndTime` ends binds,
 * and with pwdMustChange on, so that `pwdReset: TRUE` restricts a first session to a password change.
 */
export function seedEntries(layout: SeedLayout = seedLayout()): SeedEntry[] {
  const { baseDn, peopleOu, groupsOu } = layout;
  const dc = /^dc=([^,]+)/i.exec(baseDn)?.[1] ?? 'leasehold';
  const person = (uid: string, given: string, sn: string, uidNumber: number): SeedEntry => ({
    dn: childDn('uid', uid, peopleOu),
    attributes: {
      objectClass: ['inetOrgPerson', 'posixAccount', 'shadowAccount'],
      uid: [uid],
      cn: [`${given} ${sn}`],
      givenName: [given],
      sn: [sn],
      mail: [`${uid}@school.test`],
      uidNumber: [String(uidNumber)],
      gidNumber: ['10000'],
      homeDirectory: [`/home/${uid}`],
      loginShell: ['/bin/bash'],
    },
  });
  const alice = person('alice', 'Alice', 'Admin', 10001);
  const bob = person('bob', 'Bob', 'Helpdesk', 10002);
  const group = (cn: string, members: string[], description: string): SeedEntry => ({
    dn: childDn('cn', cn, groupsOu),
    attributes: { objectClass: ['groupOfNames'], cn: [cn], member: members, description: [description] },
  });
  const erpAdmins = group('erp-admins', [alice.dn], 'ERP administrators (privileged through dba-team)');
  const staff = DEMO_STAFF.map((s, i) => {
    const entry = person(s.login, s.login, 'Staff', 10100 + i);
    entry.attributes.displayName = [s.displayName];
    entry.attributes.userPassword = [ssha(s.password)];
    return entry;
  });
  const staffIn = (groupName: string) => staff.filter((_, i) => DEMO_STAFF[i]!.group === groupName).map((e) => e.dn);
  const auditOffice = group('audit-office', staffIn('audit-office'), 'Audit office staff (auditors through leasehold-auditors)');
  return [
    { dn: baseDn, attributes: { objectClass: ['dcObject', 'organization'], dc: [dc], o: ['Leasehold test school'] } },
    ...[layout.peopleOu, layout.groupsOu, layout.vendorsOu, layout.policiesOu].map((dn) => ({
      dn,
      attributes: { objectClass: ['organizationalUnit'], ou: [/^ou=([^,]+)/i.exec(dn)![1]!] },
    })),
    {
      dn: layout.defaultPolicyDn,
      attributes: {
        objectClass: ['organizationalRole', 'pwdPolicy'],
        cn: ['default'],
        pwdAttribute: ['userPassword'],
        pwdLockout: ['TRUE'],
        pwdMaxFailure: ['0'],
        // Honours pwdReset: a session bound with a password an administrator set may only change it (mustChangeAtFirstLogon).
        pwdMustChange: ['TRUE'],
        pwdAllowUserChange: ['TRUE'],
        pwdCheckQuality: ['0'],
        pwdMaxAge: ['0'],
      },
    },
    alice,
    bob,
    group('erp-support', [bob.dn], 'ERP first-line support'),
    group('lab-helpdesk', [bob.dn], 'Computer lab helpdesk'),
    group('wheel', [alice.dn], 'Unix administrators'),
    group('sudo', [alice.dn], 'sudo on every host'),
    group('admins', [alice.dn], 'Directory administrators'),
    erpAdmins,
    group('dba-team', [alice.dn, erpAdmins.dn], 'Database administrators'),
    ...staff,
    group('leasehold-requesters', staffIn('leasehold-requesters'), 'Leasehold console: may file requests'),
    group('leasehold-approvers', staffIn('leasehold-approvers'), 'Leasehold console: may approve requests'),
    auditOffice,
    group('leasehold-auditors', [auditOffice.dn], 'Leasehold console: auditors (through nested groups)'),
    group('leasehold-admins', staffIn('leasehold-admins'), 'Leasehold console: administrators'),
    {
      dn: childDn('cn', 'legacy-app', groupsOu),
      attributes: { objectClass: ['groupOfUniqueNames'], cn: ['legacy-app'], uniqueMember: [bob.dn] },
    },
    {
      dn: childDn('cn', 'root-group', groupsOu),
      attributes: { objectClass: ['posixGroup'], cn: ['root-group'], gidNumber: ['0'], memberUid: ['alice'] },
    },
    {
      dn: childDn('cn', 'vendors', groupsOu),
      attributes: { objectClass: ['posixGroup'], cn: ['vendors'], gidNumber: [String(layout.vendorGid)] },
    },
  ];
}

/** Adds the entries in order over an already bound client (the manager DN). */
export async function seedTree(client: Client, entries: SeedEntry[]): Promise<void> {
  for (const entry of entries) await client.add(entry.dn, entry.attributes);
}
