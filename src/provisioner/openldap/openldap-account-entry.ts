import { createHash } from 'node:crypto';
import type { Entry } from 'ldapts';
import type { AccountSpec, DirectoryAccount } from '../../domain/ports/directory.port.js';
import { attrValue, fromGeneralizedTime, toGeneralizedTime } from '../ldap/ldap-entry.js';

/** ppolicy's "locked until an administrator unlocks" value (needs `pwdLockout: TRUE` in the policy). */
export const LOCKED_FOR_GOOD = '000001010000Z';

/** The attributes an account is read with (operational ones must be named). */
export const ACCOUNT_ATTRIBUTES = ['uid', 'employeeNumber', 'pwdAccountLockedTime', 'pwdEndTime', 'shadowExpire'];

const DAY_MS = 86_400_000;

/** The lowest uidNumber given to vendor accounts; staff accounts conventionally sit below. */
const UID_NUMBER_FLOOR = 200_000;
const UID_NUMBER_SPAN = 2_000_000_000 - UID_NUMBER_FLOOR;

/**
 * Candidate uidNumbers for a username: a hash of the name (and the attempt
 * number) into [200000, 2000000000). Unlike "max + 1", concurrent creations
 * do not race for the same number and a retried creation picks the same one;
 * the caller probes the directory and moves to the next attempt on a clash.
 */
export function uidNumberCandidate(username: string, attempt: number): number {
  const digest = createHash('sha256').update(`${username}\u0000${attempt}`).digest();
  return UID_NUMBER_FLOOR + (digest.readUInt32BE(0) % UID_NUMBER_SPAN);
}

/**
 * shadowExpire for an end of validity: the first day (days since 1970-01-01)
 * starting at or after it. PAM treats the account as expired once "today" ≥
 * shadowExpire, so rounding down would cut access up to a day early; the
 * directory's own pwdEndTime ends binds at the exact instant.
 */
export function shadowExpireFor(validTo: Date): number {
  return Math.ceil(validTo.getTime() / DAY_MS);
}

/** shadowExpire that has already passed for PAM: today. */
export function shadowExpireNow(now: Date): number {
  return Math.floor(now.getTime() / DAY_MS);
}

/**
 * The new entry's attributes: disabled until enableAccount. slapd 2.5's
 * ppolicy removes pwdAccountLockedTime whenever the password is set (Password
 * Modify or userPassword, even in the same modify that sets the lock), and it
 * does not enforce pwdStartTime; only a pwdEndTime in the past survives a
 * password change. So the entry is born expired (pwdEndTime and shadowExpire
 * = now) as well as locked, and enableAccount moves the expiry to validTo.
 */
export function accountAttributes(spec: AccountSpec, uidNumber: number, gidNumber: number, now: Date): Record<string, string[]> {
  // Empty strings are not valid LDAP values; optional ones are left out, required ones fall back.
  const opt = (name: string, value: string): Record<string, string[]> => (value.trim() ? { [name]: [value] } : {});
  const cn = spec.displayName.trim() ? spec.displayName : spec.username;
  return {
    objectClass: ['inetOrgPerson', 'posixAccount', 'shadowAccount'],
    uid: [spec.username],
    cn: [cn],
    sn: [spec.surname.trim() ? spec.surname : spec.username],
    ...opt('givenName', spec.givenName),
    ...opt('displayName', spec.displayName),
    ...opt('mail', spec.email),
    ...opt('description', spec.description),
    employeeNumber: [spec.requestId],
    uidNumber: [String(uidNumber)],
    gidNumber: [String(gidNumber)],
    homeDirectory: [`/home/${spec.username}`],
    loginShell: ['/bin/bash'],
    shadowExpire: [String(shadowExpireNow(now))],
    pwdEndTime: [toGeneralizedTime(now)],
    pwdAccountLockedTime: [LOCKED_FOR_GOOD],
  };
}

/**
 * Reads an account entry. Enabled means slapd would accept a bind: not locked
 * for good and pwdEndTime absent or ahead. A lock with another timestamp comes
 * from failed binds and lifts by itself, so it does not count as disabled
 * (reconciliation must still see such an account as live).
 */
export function toDirectoryAccount(entry: Entry, groups: string[], now: Date): DirectoryAccount {
  const locked = attrValue(entry, 'pwdAccountLockedTime') === LOCKED_FOR_GOOD;
  const endRaw = attrValue(entry, 'pwdEndTime');
  const end = endRaw ? fromGeneralizedTime(endRaw) : undefined;
  const shadow = Number(attrValue(entry, 'shadowExpire'));
  const expiresAt = end ?? (Number.isFinite(shadow) && shadow > 0 ? new Date(shadow * DAY_MS) : undefined);
  const requestId = attrValue(entry, 'employeeNumber');
  return {
    username: attrValue(entry, 'uid') ?? '',
    dn: entry.dn,
    ...(requestId !== undefined ? { requestId } : {}),
    enabled: !locked && (!end || end.getTime() > now.getTime()),
    ...(expiresAt ? { expiresAt } : {}),
    groups,
  };
}
