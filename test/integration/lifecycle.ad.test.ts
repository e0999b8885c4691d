import { inject } from 'vitest';
import { childDn } from '../../src/provisioner/ldap/escape.js';
import { createAdSubtree, type AdSubtree } from '../rig/samba.js';
import { lifecycleSuite } from '../support/lifecycle-suite.js';

const samba = inject('samba');
let subtree: AdSubtree;

if (samba)
  lifecycleSuite(
    'Active Directory (Samba AD DC over verified LDAPS)',
    async () => {
      subtree = await createAdSubtree('e2e');
      return {
        redisUrl: inject('redisUrl'),
        target: { url: samba.ldapsUrl, dialect: 'ad', bindDn: samba.bindDn, bindPassword: samba.bindPassword, baseDn: samba.baseDn, vendorOu: subtree.dn, caPem: samba.caPem },
        groupDn: childDn('CN', 'erp-support', samba.groupsOu),
      };
    },
    () => subtree.cleanup(),
  );
