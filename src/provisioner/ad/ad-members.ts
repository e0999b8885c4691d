import { Attribute, Change } from 'ldapts';
import type { LdapConnection } from '../ldap/ldap-connection.js';
import { ldapResultCode } from '../ldap/ldap-errors.js';
import { adOp, toAdDirectoryError } from './ad-errors.js';

/**
 * Every value of a group's `member`, read in ranges. Windows returns at most
 * MaxValRange (1500) values per request and names the slice it sent
 * (`member;range=0-1499`, the last one `member;range=3000-*`); Samba answers
 * the same protocol. `step` asks for explicit windows (tests use a small one
 * to exercise the loop); by default each request asks for "the rest".
 */
export async function readGroupMembers(conn: LdapConnection, groupDn: string, step?: number): Promise<string[]> {
  const members: string[] = [];
  let low = 0;
  for (let round = 0; round < 100_000; round++) {
    const requested = `member;range=${low}-${step ? low + step - 1 : '*'}`;
    const [entry] = await adOp(`read members of ${groupDn}`, () => conn.search(groupDn, { scope: 'base', filter: '(objectClass=*)', attributes: [requested] }));
    if (!entry) return members;
    // ldapts also lists each requested attribute the server did not send, as []; a
    // server never sends an attribute without values, so that tells them apart.
    let slice: { end: string; values: string[] } | undefined;
    for (const [key, raw] of Object.entries(entry)) {
      const m = /^member;range=(\d+)-(\d+|\*)$/i.exec(key);
      const values = (Array.isArray(raw) ? raw : [raw]).map(String);
      if (m && (key !== requested || values.length > 0)) slice = { end: m[2]!, values };
    }
    if (!slice) return members;
    members.push(...slice.values);
    if (slice.end === '*') return members;
    low = Number(slice.end) + 1;
  }
  throw new Error(`member ranges of ${groupDn} did not end`);
}

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
