import { Attribute, Change } from 'ldapts';
import type { LdapConnection } from '../ldap/ldap-connection.js';
import { ldapResultCode } from '../ldap/ldap-errors.js';
import { toAdDirectoryError } from './ad-errors.js';

/**
 * Adds `memberDn` to the group's `member`. Already a member counts as done:
 * Samba ignores the Permissive Modify control and answers 68; Windows
 * answers 68 or 20 (DIRECTORY.md).
 */
export async function addMember(conn: LdapConnection, groupDn: string, memberDn: string): Promise<void> {
  const change = new Change({ operation: 'add', modification: new Attribute({ type: 'member', values: [memberDn] }) });
  try {
    await conn.modify(groupDn, change, `add ${memberDn} to ${groupDn}`);
  } catch (err) {
    const code = ldapResultCode(err);
    if (code === 68 || code === 20) return;
    throw toAdDirectoryError(err, `add ${memberDn} to ${groupDn}`);
  }
}

/**
 * Removes `memberDn` from the group's `member`. Not a member (Samba 53,
 * Windows 53 or 16) and a group that no longer exists (32) count as done;
 * the caller confirms the outcome from the account's memberOf.
 */
export async function removeMember(conn: LdapConnection, groupDn: string, memberDn: string): Promise<void> {
  const change = new Change({ operation: 'delete', modification: new Attribute({ type: 'member', values: [memberDn] }) });
  try {
    await conn.modify(groupDn, change, `remove ${memberDn} from ${groupDn}`);
  } catch (err) {
    const code = ldapResultCode(err);
    if (code === 53 || code === 16 || code === 32) return;
    throw toAdDirectoryError(err, `remove ${memberDn} from ${groupDn}`);
  }
}
