import { encodeSid } from '../../src/provisioner/ad/ad-sid.js';
import type { LdapConnection } from '../../src/provisioner/ldap/ldap-connection.js';
import { and, eq } from '../../src/provisioner/ldap/ldap-filters.js';

/** The DN of a group found by its SID (never by its localised name). */
export async function groupDnBySid(admin: LdapConnection, baseDn: string, sid: string): Promise<string> {
  const [entry] = await admin.search(baseDn, { scope: 'sub', filter: and(eq('objectClass', 'group'), eq('objectSid', encodeSid(sid))), attributes: ['1.1'] });
  if (!entry) throw new Error(`no group with SID ${sid}`);
  return entry.dn;
}
