import { parseDn } from './escape.js';

/**
 * The forms of LDAP_BIND_DN. A simple bind names the account by DN in LDAP
 * (RFC 4513 §5.1.3), but Active Directory also accepts a user principal name
 * (`svc-leasehold@school.local`) and a down-level logon name
 * (`SCHOOL\svc-leasehold`), which is how AD administrators usually hand a
 * service account over. OpenLDAP takes DNs only.
 */
export type BindNameForm = 'dn' | 'upn' | 'down-level';

/** `local@suffix`: no spaces, quotes or backslashes; the suffix is one or more DNS-style labels. */
const UPN = /^[^\s@\\"]{1,256}@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*$/;
/** NetBIOS domain (≤ 15 characters) `\` sAMAccountName (≤ 20, none of `" / \ [ ] : ; | = , + * ? < >`). */
const DOWN_LEVEL = /^[A-Za-z0-9][A-Za-z0-9!#$%&'()^_{}~.-]{0,14}\\[^"/\\[\]:;|=,+*?<>\s][^"/\\[\]:;|=,+*?<>\p{Cc}]{0,19}$/u;

/** Which form `name` has, or undefined when it is none of them. */
export function bindNameForm(name: string): BindNameForm | undefined {
  if (name.includes('=')) {
    try {
      return parseDn(name).length > 0 ? 'dn' : undefined;
    } catch {
      return undefined;
    }
  }
  if (UPN.test(name)) return 'upn';
  if (DOWN_LEVEL.test(name)) return 'down-level';
  return undefined;
}

/** Why `name` cannot be the bind name for `dialect`, or undefined when it can. */
export function bindNameProblem(name: string, dialect: 'openldap' | 'ad'): string | undefined {
  const form = bindNameForm(name);
  if (dialect === 'ad')
    return form ? undefined : 'must be a distinguished name (CN=…,DC=…), a user principal name (name@domain) or a down-level logon name (DOMAIN\\name)';
  if (form === 'dn') return undefined;
  return form
    ? `must be a distinguished name (attr=value,…) with LDAP_DIALECT=openldap; a ${form === 'upn' ? 'user principal name' : 'DOMAIN\\name logon name'} works only with LDAP_DIALECT=ad`
    : 'must be a distinguished name (attr=value,…)';
}
