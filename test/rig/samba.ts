import { randomBytes } from 'node:crypto';
import { Attribute, Change } from 'ldapts';
import { inject } from 'vitest';
import { startSamba, type SambaInfo, type SambaRig } from '../../tools/dev/samba.rig.js';
import { childDn } from '../../src/provisioner/ldap/escape.js';
import { LdapConnection } from '../../src/provisioner/ldap/ldap-connection.js';
import { readGroupMembers } from '../support/ad-groups.js';

/** Whether this run starts Samba: on unless LEASEHOLD_TEST_AD=0 (it needs root and the samba-ad-dc packages). */
export function sambaWanted(env: NodeJS.ProcessEnv = process.env): boolean {
  return env.LEASEHOLD_TEST_AD !== '0';
}

/** Starts the run's DC, or joins one another run has up (provisioning the machine's template first if need be), and logs how long it took. */
export async function startTestSamba(): Promise<SambaRig> {
  const rig = await startSamba();
  console.info(
    `samba rig: ${rig.joined ? 'joined the running DC' : 'started a DC'} in ${rig.timings.startMs} ms; provisioning ${rig.timings.provisionMs ? `${rig.timings.provisionMs} ms` : 'cached'}`,
  );
  return rig;
}

/** An Administrator connection over verified LDAPS, for setup and for asserting outcomes. */
export function sambaAdmin(samba: SambaInfo, poolSize = 4): LdapConnection {
  return new LdapConnection({
    url: samba.ldapsUrl,
    startTls: false,
    ca: samba.caPem,
    bindDn: samba.bindDn,
    bindPassword: samba.bindPassword,
    timeoutMs: 15_000,
    poolSize,
  });
}

/** A test's own OU under OU=Vendors on the run's DC, with helpers that act on the directory directly. */
export interface AdSubtree {
  samba: SambaInfo;
  /** `OU=<label>-<random>,OU=Vendors,…`. */
  dn: string;
  admin: LdapConnection;
  addOu(name: string, parentDn?: string): Promise<string>;
  /** A global security group `CN=<name>` (sAMAccountName unique per run) below `parentDn` (default: the subtree). */
  addGroup(name: string, parentDn?: string): Promise<string>;
  /** Writes `memberDn` into the group's `member`, as an administrator would by hand. */
  addMember(groupDn: string, memberDn: string): Promise<void>;
  /** Every `member` value, read in ranges of `step`. */
  membersOf(groupDn: string, step?: number): Promise<string[]>;
  /** Removes what the test put into groups outside the subtree, deletes the subtree, closes the connection. */
  cleanup(): Promise<void>;
}

/** Creates a fresh OU for one test file. Memberships in groups outside it are undone by cleanup. */
export async function createAdSubtree(label: string, samba: SambaInfo = inject('samba')!): Promise<AdSubtree> {
  const admin = sambaAdmin(samba);
  const outside: [string, string][] = [];
  const addOu = async (name: string, parentDn: string): Promise<string> => {
    const ou = childDn('OU', name, parentDn);
    await admin.add(ou, { objectClass: ['organizationalUnit'] });
    return ou;
  };
  const dn = await addOu(`${label}-${randomBytes(4).toString('hex')}`, samba.vendorsOu);
  const addMember = async (groupDn: string, memberDn: string): Promise<void> => {
    await admin.modify(groupDn, new Change({ operation: 'add', modification: new Attribute({ type: 'member', values: [memberDn] }) }));
    if (!groupDn.toLowerCase().endsWith(dn.toLowerCase())) outside.push([groupDn, memberDn]);
  };
  return {
    samba,
    dn,
    admin,
    addOu: (name, parentDn = dn) => addOu(name, parentDn),
    async addGroup(name, parentDn = dn) {
      const group = childDn('CN', name, parentDn);
      // sAMAccountName is domain-unique and limited to safe characters: make one up.
      await admin.add(group, { objectClass: ['group'], sAMAccountName: `g-${randomBytes(6).toString('hex')}` });
      return group;
    },
    addMember,
    membersOf: (groupDn, step) => readGroupMembers(admin, groupDn, step),
    async cleanup() {
      try {
        for (const [group, member] of outside)
          await admin
            .modify(group, new Change({ operation: 'delete', modification: new Attribute({ type: 'member', values: [member] }) }))
            .catch(() => undefined);
        // Tree delete control (1.2.840.113556.1.4.805) is not exposed by LdapConnection: delete deepest first.
        const entries = await admin.search(dn, { scope: 'sub', filter: '(objectClass=*)', attributes: ['1.1'] });
        const depth = (d: string): number => d.split(/(?<!\\),/).length;
        for (const e of entries.sort((a, b) => depth(b.dn) - depth(a.dn))) await admin.del(e.dn).catch(() => undefined);
      } finally {
        await admin.close();
      }
    },
  };
}
