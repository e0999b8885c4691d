/**
 * Security identifiers. objectSid and tokenGroups come back from ldapts as
 * Buffers (only when named in explicitBufferAttributes); privilege is decided
 * on the string form `S-1-5-21-…`, never on a group's localised name.
 */

/** Decodes a binary SID (MS-DTYP §2.4.2.2) into `S-R-I-S1-…`; undefined when malformed. */
export function decodeSid(bytes: Buffer): string | undefined {
  if (bytes.length < 8) return undefined;
  const revision = bytes.readUInt8(0);
  const count = bytes.readUInt8(1);
  if (bytes.length !== 8 + 4 * count) return undefined;
  // The identifier authority is 48-bit big-endian; the sub-authorities are 32-bit little-endian.
  const authority = bytes.readUIntBE(2, 6);
  const subs: number[] = [];
  for (let i = 0; i < count; i++) subs.push(bytes.readUInt32LE(8 + 4 * i));
  return ['S', revision, authority, ...subs].join('-');
}

/** Encodes `S-1-5-…` as the binary SID, for filter objects (`new EqualityFilter({ attribute: 'objectSid', value })`). */
export function encodeSid(sid: string): Buffer {
  const m = /^S-(\d+)-(\d+)((?:-\d+)*)$/i.exec(sid);
  if (!m) throw new Error(`not a SID: ${sid}`);
  const subs = m[3] ? m[3].slice(1).split('-').map(Number) : [];
  if (subs.length > 15 || subs.some((s) => s > 0xffff_ffff)) throw new Error(`not a SID: ${sid}`);
  const out = Buffer.alloc(8 + 4 * subs.length);
  out.writeUInt8(Number(m[1]), 0);
  out.writeUInt8(subs.length, 1);
  out.writeUIntBE(Number(m[2]), 2, 6);
  subs.forEach((s, i) => out.writeUInt32LE(s, 8 + 4 * i));
  return out;
}

/** The relative identifier (last sub-authority) and the domain part before it. */
export function splitRid(sid: string): { domain: string; rid: number } | undefined {
  const i = sid.lastIndexOf('-');
  const rid = Number(sid.slice(i + 1));
  return i > 0 && Number.isInteger(rid) ? { domain: sid.slice(0, i), rid } : undefined;
}
