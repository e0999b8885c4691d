import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Attribute, Change } from 'ldapts';
import { inject } from 'vitest';
import { childDn } from '../../src/provisioner/ldap/escape.js';
import { LdapConnection } from '../../src/provisioner/ldap/ldap-connection.js';
import { OpenLdapDirectory } from '../../src/provisioner/openldap/openldap.directory.js';
import { directoryContract, type DirectoryContractContext } from '../contract/directory.contract.js';
import { createLdapSubtree } from '../rig/ldap-subtree.js';
import { probe } from '../support/directory-probe.js';
import { slapdTarget, type DirectoryTarget } from '../support/service-harness.js';

const rand = (): string => randomBytes(3).toString('hex');

/** The contract against the run's slapd, in a subtree of this file's own, over the given transport. */
async function openLdapContext(transport: 'ldaps' | 'starttls'): Promise<DirectoryContractContext> {
  const slapd = inject('slapd');
  const tree = await createLdapSubtree(`oc-${transport}`);
  const vendorOu = await tree.addOu('accounts');
  const groupsOu = await tree.addOu('groups');
  const connection = new LdapConnection({
    url: transport === 'ldaps' ? slapd.ldapsUrl : slapd.ldapUrl,
    startTls: transport === 'starttls',
    ca: slapd.caPem,
    bindDn: slapd.bindDn,
    bindPassword: slapd.bindPassword,
    timeoutMs: 10_000,
    poolSize: 4,
  });
  const directory = new OpenLdapDirectory({ connection, vendorOu, baseDn: tree.dn, privilegedGroups: ['/^legacy-root-/'] });
  // Binds as the account reach the directory over the same transport as the adapter, but not through it.
  const target: DirectoryTarget =
    transport === 'ldaps' ? slapdTarget(slapd, vendorOu) : { ...slapdTarget(slapd, vendorOu), url: slapd.ldapUrl, startTls: true };
  return {
    directory,
    capabilities: { specialCharactersInUsername: true, nulInValues: true },
    username: (label) => `v-${label}-${rand()}`,
    createGroup: (name) => tree.addGroup(name, [''], groupsOu),
    nestGroup: (child, parent) => tree.admin.modify(parent, new Change({ operation: 'add', modification: new Attribute({ type: 'member', values: [child] }) })),
    privilegedGroup: () => tree.addGroup(`dba-${rand()}`, [''], groupsOu),
    policyPrivilegedGroup: () => tree.addGroup(`legacy-root-${rand()}`, [''], groupsOu),
    canBind: (dn, password) => probe.canBind(target, dn, password),
    membersOf: (group) => tree.membersOf(group),
    absentGroupDn: childDn('cn', 'no-such-group', groupsOu),
    now: () => new Date(),
    // pwdEndTime has one-second resolution: wait a whole second past it.
    waitPast: (instant) => sleep(Math.max(0, instant.getTime() - Date.now()) + 1100),
    async cleanup() {
      await directory.close();
      await tree.cleanup();
    },
  };
}

directoryContract('OpenLDAP over ldaps:// (rig CA verified)', () => openLdapContext('ldaps'));
directoryContract('OpenLDAP over ldap:// with StartTLS (rig CA verified)', () => openLdapContext('starttls'));
