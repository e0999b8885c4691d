import { inject } from 'vitest';
import { childDn } from '../../src/provisioner/ldap/escape.js';
import { createLdapSubtree, type LdapSubtree } from '../rig/ldap-subtree.js';
import { lifecycleSuite } from '../support/lifecycle-suite.js';

let subtree: LdapSubtree;

lifecycleSuite(
  'OpenLDAP (slapd over verified LDAPS)',
  async () => {
    subtree = await createLdapSubtree('e2e');
    const slapd = inject('slapd');
    return {
      redisUrl: inject('redisUrl'),
      target: { url: slapd.ldapsUrl, dialect: 'openldap', bindDn: slapd.bindDn, bindPassword: slapd.bindPassword, baseDn: slapd.baseDn, vendorOu: subtree.dn, caPem: slapd.caPem },
      groupDn: childDn('cn', 'erp-support', slapd.groupsOu),
    };
  },
  () => subtree.cleanup(),
);
