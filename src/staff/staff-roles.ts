import type { Policy } from '../config/policy.schema.js';
import { normalizeDn } from '../provisioner/ldap/escape.js';
import { nameFromDn } from '../provisioner/privileged-groups.js';
import type { StaffGroup } from './staff-directory.js';

/** The roles a person can hold (machine roles such as automation and log-source stay with tokens). */
export const STAFF_ROLES = ['requester', 'approver', 'auditor', 'admin', 'exception-approver'] as const;
export type StaffRole = (typeof STAFF_ROLES)[number];

/** policy.staff.roles: for each role, group DNs (containing `=`) or group names. */
export type StaffRoleMapping = Policy['staff']['roles'];

/** Whether one policy entry names `group`: a DN compares parsed, a name case-insensitively with its cn/sAMAccountName. */
function names(entry: string, group: StaffGroup): boolean {
  if (entry.includes('=')) return normalizeDn(entry) === normalizeDn(group.dn);
  const wanted = entry.toLowerCase();
  return [...group.names, nameFromDn(group.dn)].some((n) => n.toLowerCase() === wanted);
}

/** The roles `groups` (all of a person's groups, nesting resolved) grant under `mapping`, in STAFF_ROLES order. */
export function rolesFor(groups: StaffGroup[], mapping: StaffRoleMapping): StaffRole[] {
  return STAFF_ROLES.filter((role) => mapping[role].some((entry) => groups.some((g) => names(entry, g))));
}
