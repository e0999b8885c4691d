import { sameDn } from '../ldap/escape.js';
import { bindNameForm } from '../ldap/bind-name.js';
import type { LdapConnection } from '../ldap/ldap-connection.js';
import { attrValue } from '../ldap/ldap-entry.js';
import { and, eq } from '../ldap/ldap-filters.js';
import { realmOf } from './ad-account-entry.js';

/**
 * The DN of the service account, whichever form LDAP_BIND_DN has.
 *
 * AD accepts a UPN or `DOMAIN\name` as the bind name, and its Who Am I
 * answers `u:DOMAIN\name`, not a DN (Samba does not implement it at all), so
 * the entry is looked up in the domain: by userPrincipalName, then — for the
 * implicit UPN `sAMAccountName@<domain DNS name>` that AD accepts without the
 * attribute being set — by sAMAccountName; a down-level name by sAMAccountName
 * once its NetBIOS domain is this domain's (the crossRef of `baseDn`).
 * Undefined when the account is not in this domain: then it cannot be in the
 * vendor OU either.
 */
export async function resolveServiceAccountDn(conn: LdapConnection, bindName: string, baseDn: string): Promise<string | undefined> {
  const form = bindNameForm(bindName);
  if (form === 'dn') return bindName;
  if (form === 'upn') {
    const byUpn = await findUser(conn, baseDn, 'userPrincipalName', bindName);
    if (byUpn) return byUpn;
    const at = bindName.lastIndexOf('@');
    return bindName.slice(at + 1).toLowerCase() === realmOf(baseDn) ? findUser(conn, baseDn, 'sAMAccountName', bindName.slice(0, at)) : undefined;
  }
  if (form === 'down-level') {
    const [domain, name] = bindName.split('\\') as [string, string];
    const netbios = await netbiosNameOf(conn, baseDn);
    return netbios?.toLowerCase() === domain.toLowerCase() ? findUser(conn, baseDn, 'sAMAccountName', name) : undefined;
  }
  return undefined;
}

async function findUser(conn: LdapConnection, baseDn: string, attribute: string, value: string): Promise<string | undefined> {
  const hits = await conn.search(
    baseDn,
    { scope: 'sub', filter: and(eq('objectClass', 'user'), eq(attribute, value)), attributes: ['1.1'], sizeLimit: 2 },
    'find the service account',
  );
  return hits.length === 1 ? hits[0]!.dn : undefined;
}

/** The domain's NetBIOS name, from its crossRef under CN=Partitions of the configuration naming context. */
async function netbiosNameOf(conn: LdapConnection, baseDn: string): Promise<string | undefined> {
  const [root] = await conn.search('', { scope: 'base', filter: '(objectClass=*)', attributes: ['configurationNamingContext'] }, 'read the root DSE');
  const config = root && attrValue(root, 'configurationNamingContext');
  if (!config) return undefined;
  const refs = await conn.search(
    `CN=Partitions,${config}`,
    { scope: 'one', filter: eq('objectClass', 'crossRef'), attributes: ['nCName', 'nETBIOSName'] },
    'read the domain crossRef',
  );
  const mine = refs.find((r) => {
    const nc = attrValue(r, 'nCName');
    return nc !== undefined && sameDn(nc, baseDn);
  });
  return mine && attrValue(mine, 'nETBIOSName');
}
