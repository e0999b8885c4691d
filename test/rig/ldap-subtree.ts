import { randomBytes } from 'node:crypto';
import { inject } from 'vitest';
import { childDn } from '../../src/provisioner/ldap/escape.js';
import { LdapConnection } from '../../src/provisioner/ldap/ldap-connection.js';
import { attrValues } from '../../src/provisioner/ldap/ldap-entry.js';
import type { SlapdInfo } from '../../tools/dev/slapd.rig.js';

/** A test file's own corner of the run's slapd, under ou=vendors. */
export interface LdapSubtree {
  /** `ou=t-<random>,ou=vendors,<base>`. */
  dn: string;
  slapd: SlapdInfo;
  /** A manager connection over verified LDAPS (for setup and for asserting outcomes). */
  admin: LdapConnection;
  /** Creates `ou=<name>` below `parentDn` (default: the subtree) and returns its DN. */
  addOu(name: string, parentDn?: string): Promise<string>;
  /** Creates a groupOfNames `cn=<name>` below `parentDn` (default: the subtree); `members` default to the empty DN. */
  addGroup(name: string, members?: string[], parentDn?: string): Promise<string>;
  /** Direct `member` values of a group, as the server returns them. */
  membersOf(groupDn: string): Promise<string[]>;
  /** Deletes the whole subtree and closes the connection. */
  cleanup(): Promise<void>;
}

/** A manager connection to the run's slapd over LDAPS with the rig CA. */
export function adminConnection(slapd: SlapdInfo = inject('slapd'), poolSize = 4): LdapConnection {
  return new LdapConnection({
    url: slapd.ldapsUrl,
    startTls: false,
    ca: slapd.caPem,
    bindDn: slapd.bindDn,
    bindPassword: slapd.bindPassword,
    timeoutMs: 10_000,
    poolSize,
  });
}

/** Creates a fresh, uniquely named subtree for one test file. */
export async function createLdapSubtree(label = 't'): Promise<LdapSubtree> {
  const slapd = inject('slapd');
  const admin = adminConnection(slapd);
  const addOu = async (name: string, parentDn: string): Promise<string> => {
    const ou = childDn('ou', name, parentDn);
    await admin.add(ou, { objectClass: ['organizationalUnit'], ou: [name] });
    return ou;
  };
  const dn = await addOu(`${label}-${randomBytes(5).toString('hex')}`, slapd.vendorsOu);
  return {
    dn,
    slapd,
    admin,
    addOu: (name, parentDn = dn) => addOu(name, parentDn),
    async addGroup(name, members = [''], parentDn = dn) {
      const group = childDn('cn', name, parentDn);
      await admin.add(group, { objectClass: ['groupOfNames'], cn: [name], member: members });
      return group;
    },
    async membersOf(groupDn) {
      const [entry] = await admin.search(groupDn, { scope: 'base', attributes: ['member'] });
      return entry ? attrValues(entry, 'member').filter((m) => m !== '') : [];
    },
    async cleanup() {
      try {
        const entries = await admin.search(dn, { scope: 'sub', attributes: ['1.1'] });
        // Children before parents: the deepest DNs (most RDNs) first.
        const depth = (d: string): number => d.split(/(?<!\\),/).length;
        for (const e of entries.sort((a, b) => depth(b.dn) - depth(a.dn))) await admin.del(e.dn);
      } finally {
        await admin.close();
      }
    },
  };
}
