import { describe, expect, it } from 'vitest';
import { isBuiltinPrivileged, privilegeResolver, PrivilegedGroupPolicy, type GroupFacts } from '../../src/provisioner/privileged-groups.js';

const g = (name: string, gidNumber?: number): GroupFacts => ({ dn: `cn=${name},ou=groups,dc=t`, name, ...(gidNumber !== undefined ? { gidNumber } : {}) });

describe('built-in privileged groups (OpenLDAP)', () => {
  it('recognises root, wheel, sudo, admin and DBA names in any case', () => {
    for (const name of ['root', 'Wheel', 'sudo', 'sudoers', 'admin', 'Admins', 'Administrators', 'dba', 'DBA-team', 'oracle-dba', 'dbadmin', 'Domain Admins', 'schema-admins', 'sysadmins'])
      expect(isBuiltinPrivileged(g(name)), name).toBe(true);
  });

  it('leaves ordinary names alone, and catches gid 0 whatever the name', () => {
    for (const name of ['erp-support', 'sudo-lecture-notes', 'admissions', 'dbadvisors', 'lab-helpdesk']) expect(isBuiltinPrivileged(g(name)), name).toBe(false);
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
