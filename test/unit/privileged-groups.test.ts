import { describe, expect, it } from 'vitest';
import { FakeDirectory } from '../../src/provisioner/fake/fake.directory.js';
import { isBuiltinPrivileged, privilegeResolver, PrivilegedGroupPolicy, type GroupFacts } from '../../src/provisioner/privileged-groups.js';

const g = (name: string, gidNumber?: number): GroupFacts => ({ dn: `cn=${name},ou=groups,dc=t`, name, ...(gidNumber !== undefined ? { gidNumber } : {}) });

describe('built-in privileged groups (OpenLDAP)', () => {
  it('recognises root, wheel, sudo, admin and DBA names in any case', () => {
    for (const name of [
      'root',
      'Wheel',
      'sudo',
      'sudoers',
      'admin',
      'Admins',
      'Administrators',
      'dba',
      'DBA-team',
      'oracle-dba',
      'dbadmin',
      'Domain Admins',
      'schema-admins',
      'sysadmins',
    ])
      expect(isBuiltinPrivileged(g(name)), name).toBe(true);
  });

  it('leaves ordinary names alone, and catches gid 0 whatever the name', () => {
    for (const name of ['erp-support', 'sudo-lecture-notes', 'admissions', 'dbadvisors', 'lab-helpdesk'])
      expect(isBuiltinPrivileged(g(name)), name).toBe(false);
    expect(isBuiltinPrivileged(g('operators', 0))).toBe(true);
  });
});

describe('policy privileged groups', () => {
  it('matches an exact DN however spelled, a bare name, or a /regex/ against DN or name', () => {
    const policy = new PrivilegedGroupPolicy(['CN=Ops, OU=Groups, DC=T', 'backup-operators', '/^legacy-root-/', '/ou=secret/']);
    expect(policy.matches(g('ops'))).toBe(true);
    expect(policy.matches(g('Backup-Operators'))).toBe(true);
    expect(policy.matches(g('LEGACY-ROOT-1'))).toBe(true);
    expect(policy.matches({ dn: 'cn=x,ou=Secret,dc=t', name: 'x' })).toBe(true);
    expect(policy.matches(g('ops-helpers'))).toBe(false);
  });
});

describe('groups with several names', () => {
  it('judges every cn value and the RDN, whichever the directory returns first', () => {
    // cn=sudo whose first cn value is helpdesk-tools: a client that looks the group up as "sudo" finds it.
    expect(isBuiltinPrivileged({ dn: 'cn=sudo,ou=groups,dc=t', name: 'helpdesk-tools', names: ['helpdesk-tools', 'sudo'] })).toBe(true);
    // The RDN alone, even when no cn value was read.
    expect(isBuiltinPrivileged({ dn: 'cn=wheel,ou=groups,dc=t', name: 'helpdesk-tools' })).toBe(true);
    // A harmless RDN with a privileged second cn value.
    expect(isBuiltinPrivileged({ dn: 'cn=helpdesk-tools,ou=groups,dc=t', name: 'helpdesk-tools', names: ['helpdesk-tools', 'wheel'] })).toBe(true);
    // Every value of a multi-valued RDN.
    expect(isBuiltinPrivileged({ dn: 'cn=helpdesk-tools+cn=root,ou=groups,dc=t', name: 'helpdesk-tools' })).toBe(true);
    expect(isBuiltinPrivileged({ dn: 'cn=helpdesk-tools,ou=groups,dc=t', name: 'helpdesk-tools', names: ['helpdesk-tools', 'lab-tools'] })).toBe(false);
  });

  it('matches policy names and patterns against every naming value and the RDN (AD: cn, name, sAMAccountName)', () => {
    const policy = new PrivilegedGroupPolicy(['DnsUpdateProxy', '/^oracle-sysdba/g']);
    expect(policy.matches({ dn: 'CN=Proxy Group,OU=g,DC=t', name: 'Proxy Group', names: ['Proxy Group', 'Proxy Group', 'DnsUpdateProxy'] })).toBe(true);
    expect(policy.matches({ dn: 'CN=DnsUpdateProxy,OU=g,DC=t', name: 'dns-proxy', names: ['dns-proxy'] })).toBe(true);
    // A /g pattern tested against several names must not skip one because of lastIndex left by the previous test.
    const names = ['oracle-sysdba-1', 'oracle-sysdba-2'];
    for (let i = 0; i < 3; i++) expect(policy.matches({ dn: 'CN=x,OU=g,DC=t', name: 'x', names })).toBe(true);
    expect(policy.matches({ dn: 'CN=Proxy Group,OU=g,DC=t', name: 'Proxy Group', names: ['Proxy Group', 'pg'] })).toBe(false);
  });

  it('refuses such a group through the directory port, directly and through nesting', async () => {
    const directory = new FakeDirectory();
    const sudo = directory.addGroup('cn=sudo,ou=groups,dc=fake,dc=test', { names: ['helpdesk-tools', 'sudo'] });
    const inner = 'cn=tools-inner,ou=groups,dc=fake,dc=test';
    directory.nestGroup(inner, sudo);
    const result = await directory.privilegedGroupsOf([sudo, inner]);
    expect(result.get(sudo)).toBe(sudo);
    expect(result.get(inner)).toBe(sudo);
  });
});

describe('privilege through nesting', () => {
  const parents = new Map<string, GroupFacts[]>([
    [g('a').dn, [g('b')]],
    [g('b').dn, [g('a'), g('c')]],
    [g('c').dn, [g('wheel')]],
    [g('x').dn, [g('y')]],
    [g('y').dn, [g('x')]],
  ]);
  const resolve = privilegeResolver(isBuiltinPrivileged, (dn) => Promise.resolve(parents.get(dn) ?? []));

  it('finds the privileged group at any depth, through a cycle', async () => {
    expect((await resolve(g('a')))?.name).toBe('wheel');
  });

  it('ends a cycle with no privileged group in it', async () => {
    expect(await resolve(g('x'))).toBeUndefined();
  });
});
