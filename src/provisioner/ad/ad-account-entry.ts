import type { Entry } from 'ldapts';
import { DirectoryError } from '../../errors.js';
import type { AccountSpec, DirectoryAccount } from '../../domain/ports/directory.port.js';
import { parseDn } from '../ldap/escape.js';
import { attrValue, attrValues } from '../ldap/ldap-entry.js';
import { fromFileTime, toFileTime } from './ad-time.js';

/** userAccountControl bits (MS-ADTS §2.2.16). Read-modify-write: other bits belong to other people. */
export const UAC = {
  ACCOUNTDISABLE: 0x2,
  NORMAL_ACCOUNT: 0x200,
  DONT_EXPIRE_PASSWORD: 0x10000,
} as const;

/** Created disabled: NORMAL_ACCOUNT | ACCOUNTDISABLE (514), no password yet. */
const UAC_NEW_DISABLED = UAC.NORMAL_ACCOUNT | UAC.ACCOUNTDISABLE;

/**
 * The attribute that records the request on the entry. employeeNumber:
 * single-valued, on the user class in every AD schema, up to 512 characters
 * (employeeID allows only 16 on Windows — too short for `req_…` ids), and
 * the OpenLDAP adapter records the request in the same attribute. Not
 * `description`, which holds free text for people.
 */
export const REQUEST_ID_ATTRIBUTE = 'employeeNumber';

/** The attributes an account is read with. memberOf lists the groups that list it (not its primary group). */
export const ACCOUNT_ATTRIBUTES = ['sAMAccountName', REQUEST_ID_ATTRIBUTE, 'userAccountControl', 'accountExpires', 'memberOf'];

/** Characters AD refuses in sAMAccountName (DIRECTORY.md), plus control characters. */
// eslint-disable-next-line no-control-regex
const SAM_FORBIDDEN = /["/\\[\]:;|=,+*?<>\u0000-\u001f\u007f]/;

/** sAMAccountName limit on Windows (Samba accepts longer; code follows the stricter rule). */
const MAX_SAM_ACCOUNT_NAME = 20;

/** Why a username cannot be a sAMAccountName, or undefined when it can. */
export function samAccountNameProblem(username: string): string | undefined {
  if (username.length === 0) return 'is empty';
  if ([...username].length > MAX_SAM_ACCOUNT_NAME) return `is longer than ${MAX_SAM_ACCOUNT_NAME} characters`;
  const bad = SAM_FORBIDDEN.exec(username);
  if (bad) return `contains the forbidden character ${JSON.stringify(bad[0])}`;
  if (username.endsWith('.')) return 'ends with a period';
  if (/^[. ]+$/.test(username)) return 'consists only of periods and spaces';
  return undefined;
}

/** Throws a permanent DirectoryError unless `username` is a valid sAMAccountName. */
export function assertSamAccountName(username: string): void {
  const problem = samAccountNameProblem(username);
  if (problem) throw new DirectoryError(`username ${JSON.stringify(username)} ${problem} (AD sAMAccountName rules)`, false);
}

/** `vendor.test` from `DC=vendor,DC=test`: the UPN suffix of a single-domain forest. */
export function realmOf(baseDn: string): string {
  let labels: string[];
  try {
    labels = parseDn(baseDn)
      .flat()
      .filter((p) => p.type.toLowerCase() === 'dc')
      .map((p) => p.value);
  } catch {
    labels = [];
  }
  if (labels.length === 0) throw new DirectoryError(`cannot derive a UPN suffix from base DN ${baseDn}`, false);
  return labels.join('.').toLowerCase();
}

/**
 * AD's rangeUpper for the descriptive attributes (in characters). A longer
 * value fails the whole add (0000200B), which would stop provisioning for
 * good over a cosmetic field, so these are shortened instead.
 */
const RANGE_UPPER = { displayName: 256, givenName: 64, sn: 64, mail: 256, description: 1024 } as const;

function fit(attribute: keyof typeof RANGE_UPPER, value: string): string {
  const chars = [...value];
  return chars.length > RANGE_UPPER[attribute] ? chars.slice(0, RANGE_UPPER[attribute]).join('') : value;
}

/** The new entry's attributes: disabled (514), expiring at validTo, recording the request. */
export function accountAttributes(spec: AccountSpec, upnSuffix: string): Record<string, string[]> {
  // Empty strings are not valid LDAP values: optional attributes are left out.
  const opt = (name: 'givenName' | 'sn', value: string): Record<string, string[]> => (value.trim() ? { [name]: [fit(name, value)] } : {});
  // A shortened address would be someone else's: leave an over-long one out instead.
  const mail: Record<string, string[]> = spec.email.trim() && [...spec.email].length <= RANGE_UPPER.mail ? { mail: [spec.email] } : {};
  return {
    objectClass: ['top', 'person', 'organizationalPerson', 'user'],
    cn: [spec.username],
    sAMAccountName: [spec.username],
    userPrincipalName: [`${spec.username}@${upnSuffix}`],
    displayName: [fit('displayName', spec.displayName.trim() ? spec.displayName : spec.username)],
    ...opt('givenName', spec.givenName),
    ...opt('sn', spec.surname),
    ...mail,
    description: [fit('description', spec.description.trim() ? spec.description : `Leasehold vendor account for request ${spec.requestId}`)],
    [REQUEST_ID_ATTRIBUTE]: [spec.requestId],
    userAccountControl: [String(UAC_NEW_DISABLED)],
    accountExpires: [toFileTime(spec.validTo)],
  };
}

/** The userAccountControl value of an entry (0 when absent or unreadable). */
export function uacOf(entry: Entry): number {
  const n = Number(attrValue(entry, 'userAccountControl'));
  return Number.isInteger(n) ? n : 0;
}

/**
 * Reads an account entry. Enabled means AD would accept a bind with the right
 * password: not disabled and accountExpires never or ahead. A lockout after
 * failed binds lifts by itself, so it does not count as disabled
 * (reconciliation must still treat such an account as live).
 */
export function toDirectoryAccount(entry: Entry, now: Date): DirectoryAccount {
  const uac = uacOf(entry);
  const expiresAt = fromFileTime(attrValue(entry, 'accountExpires'));
  const requestId = attrValue(entry, REQUEST_ID_ATTRIBUTE);
  return {
    username: attrValue(entry, 'sAMAccountName') ?? '',
    dn: entry.dn,
    ...(requestId !== undefined ? { requestId } : {}),
    enabled: (uac & UAC.ACCOUNTDISABLE) === 0 && (!expiresAt || expiresAt.getTime() > now.getTime()),
    ...(expiresAt ? { expiresAt } : {}),
    groups: attrValues(entry, 'memberOf'),
  };
}
