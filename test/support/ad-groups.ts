import { encodeSid } from '../../src/provisioner/ad/ad-sid.js';
import type { LdapConnection } from '../../src/provisioner/ldap/ldap-connection.js';
import { and, eq } from '../../src/provisioner/ldap/ldap-filters.js';

/** The DN of a group found by its SID (never by its localised name). */
export async function groupDnBySid(admin: LdapConnection, baseDn: string, sid: string): Promise<string> {
  const [entry] = await admin.search(baseDn, { scope: 'sub', filter: and(eq('objectClass', 'group'), eq('objectSid', encodeSid(sid))), attributes: ['1.1'] });
  if (!entry) throw new Error(`no group with SID ${sid}`);
  return entry.dn;
}

/**
 * Every value of a group's `member`, read in ranges. Windows returns at most
 * MaxValRange (1500) values per request and names the slice it sent
 * (`member;range=0-1499`, the last one `member;range=3000-*`); Samba answers
 * the same protocol. `step` asks for explicit windows (a test uses a small one
 * to exercise the loop); by default each request asks for "the rest". The
 * service never reads a group's members (it reads the account's memberOf):
 * this is how tests see what the directory holds.
 */
export async function readGroupMembers(conn: LdapConnection, groupDn: string, step?: number): Promise<string[]> {
  const members: string[] = [];
  let low = 0;
  for (let round = 0; round < 100_000; round++) {
    const requested = `member;range=${low}-${step ? low + step - 1 : '*'}`;
    const [entry] = await conn.search(groupDn, { scope: 'base', filter: '(objectClass=*)', attributes: [requested] });
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
