import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, inject } from 'vitest';
import { AdDirectory } from '../../src/provisioner/ad/ad.directory.js';
import { childDn } from '../../src/provisioner/ldap/escape.js';
import { directoryContract, type DirectoryContractContext } from '../contract/directory.contract.js';
import { createAdSubtree, sambaAdmin } from '../rig/samba.js';
import { groupDnBySid } from '../support/ad-groups.js';
import { probe } from '../support/directory-probe.js';
import { sambaTarget } from '../support/service-harness.js';

const rand = (): string => randomBytes(3).toString('hex');
const samba = inject('samba');

/** The contract against the run's Samba AD DC over verified LDAPS, in an OU of this file's own. */
async function activeDirectoryContext(): Promise<DirectoryContractContext> {
  const tree = await createAdSubtree('ad-contract');
  const vendorOu = await tree.addOu('accounts');
  const groupsOu = await tree.addOu('groups');
  const directory = new AdDirectory({ connection: sambaAdmin(samba!), baseDn: samba!.baseDn, vendorOu, privilegedGroups: ['/^legacy-root-/'] });
  const domainAdmins = await groupDnBySid(tree.admin, samba!.baseDn, `${samba!.domainSid}-512`);
  const target = sambaTarget(samba!, vendorOu);
  return {
    directory,
    // sAMAccountName forbids the DN/filter specials; AD strings cannot hold NUL.
    capabilities: { specialCharactersInUsername: false, nulInValues: false },
    username: (label) => `v-${label.slice(0, 8)}-${rand()}`,
    createGroup: (name) => tree.addGroup(name, groupsOu),
    nestGroup: (child, parent) => tree.addMember(parent, child),
    privilegedGroup: () => Promise.resolve(domainAdmins),
    policyPrivilegedGroup: () => tree.addGroup(`legacy-root-${rand()}`, groupsOu),
    canBind: (dn, password) => probe.canBind(target, dn, password),
    membersOf: (group) => tree.membersOf(group),
    absentGroupDn: childDn('CN', 'no-such-group', groupsOu),
    now: () => new Date(),
    // accountExpires is checked at bind time against the DC's clock (this machine's).
    waitPast: (instant) => sleep(Math.max(0, instant.getTime() - Date.now()) + 200),
    async cleanup() {
      await directory.close();
      await tree.cleanup();
    },
  };
}

// LEASEHOLD_TEST_AD=0 runs without the Samba rig: the suite is then reported as skipped.
describe.skipIf(!samba)('Samba AD DC', () => directoryContract('Active Directory (Samba AD DC over ldaps://, rig CA verified)', activeDirectoryContext));
