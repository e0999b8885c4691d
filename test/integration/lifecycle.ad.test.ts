import { describe, inject } from 'vitest';
import { childDn } from '../../src/provisioner/ldap/escape.js';
import { createAdSubtree, type AdSubtree } from '../rig/samba.js';
import { lifecycleSuite } from '../support/lifecycle-suite.js';

const samba = inject('samba');
let subtree: AdSubtree;

// LEASEHOLD_TEST_AD=0 runs without the Samba rig: the suite is then reported as skipped.
describe.skipIf(!samba)('Samba AD DC', () =>
  lifecycleSuite(
    'Active Directory (Samba AD DC over verified LDAPS)',
    async () => {
      subtree = await createAdSubtree('e2e');
      return {
        redisUrl: inject('redisUrl'),
        target: {
          url: samba!.ldapsUrl,
          dialect: 'ad',
          bindDn: samba!.bindDn,
          bindPassword: samba!.bindPassword,
          baseDn: samba!.baseDn,
          vendorOu: subtree.dn,
          caPem: samba!.caPem,
        },
        groupDn: childDn('CN', 'erp-support', samba!.groupsOu),
      };
    },
    () => subtree.cleanup(),
  ),
);
