import { inject } from 'vitest';
import { childDn } from '../../src/provisioner/ldap/escape.js';
import { createLdapSubtree, type LdapSubtree } from '../rig/ldap-subtree.js';
import { lifecycleSuite } from '../support/lifecycle-suite.js';
import { slapdTarget } from '../support/service-harness.js';

let subtree: LdapSubtree;

lifecycleSuite(
  'OpenLDAP (slapd over verified LDAPS)',
  async () => {
    subtree = await createLdapSubtree('e2e');
    const slapd = inject('slapd');
    return {
      redisUrl: inject('redisUrl'),
      target: slapdTarget(slapd, subtree.dn),
      groupDn: childDn('cn', 'erp-support', slapd.groupsOu),
    };
  },
  () => subtree.cleanup(),
);
