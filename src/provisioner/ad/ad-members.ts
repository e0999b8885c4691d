import { Attribute, Change } from 'ldapts';
import type { LdapConnection } from '../ldap/ldap-connection.js';
import { ldapResultCode } from '../ldap/ldap-errors.js';
import { adOp } from './ad-errors.js';

/**
 * A comparison key for a DN. Samba spells some escapes in hex (`\3B` for
 * `;`, `\3D` for `=`) where RFC 4514 writers use `\;`: decode every escape,
 * then lower-case types and values (AD compares DNs case-insensitively).
 */
export function dnKey(dn: string): string {
  const rdns: string[] = [];
  let current = '';
  const bytes: number[] = [];
  const flush = (): void => {
    if (bytes.length) current += Buffer.from(bytes.splice(0)).toString('utf8');
  };
  for (let i = 0; i < dn.length; i++) {
    const ch = dn[i]!;
    if (ch === '\\' && i + 1 < dn.length) {
      const hex = /^[0-9a-fA-F]{2}/.exec(dn.slice(i + 1, i + 3));
      if (hex) {
        bytes.push(parseInt(hex[0], 16));
        i += 2;
      } else {
        flush();
        // Keep an escaped separator distinguishable from a real one.
        current += ',+='.includes(dn[i + 1]!) ? `\\${dn[i + 1]!}` : dn[i + 1]!;
        i += 1;
      }
      continue;
    }
    flush();
    if (ch === ',') {
      rdns.push(current);
      current = '';
    } else current += ch;
  }
  flush();
  rdns.push(current);
  return rdns.map((rdn) => rdn.trim().replace(/^([^=]+?)\s*=\s*/, '$1=').toLowerCase()).join(',');
}

/** Whether two DNs name the same entry. */
export function sameDn(a: string, b: string): boolean {
  return dnKey(a) === dnKey(b);
}

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
    await adOp(`add ${memberDn} to ${groupDn}`, () => Promise.reject(err));
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
    await adOp(`remove ${memberDn} from ${groupDn}`, () => Promise.reject(err));
  }
}
