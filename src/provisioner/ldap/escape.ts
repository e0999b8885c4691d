/**
 * Escaping for values placed into DNs. Nothing from input is ever
 * concatenated into LDAP unescaped (DIRECTORY.md, Escaping); search filters
 * are built as objects (ldap-filters.ts), never as strings.
 */

/** RFC 4514 §2.4: escape an attribute value for use inside a DN. */
export function escapeDnValue(value: string): string {
  let out = '';
  for (let i = 0; i < value.length; i++) {
    const ch = value[i]!;
    const code = ch.charCodeAt(0);
    if (code === 0) out += '\\00';
    else if ('"+,;<>\\='.includes(ch)) out += `\\${ch}`;
    else if (i === 0 && (ch === ' ' || ch === '#')) out += `\\${ch}`;
    else if (i === value.length - 1 && ch === ' ') out += '\\ ';
    else if (code < 0x20 || code === 0x7f) out += `\\${code.toString(16).padStart(2, '0')}`;
    else out += ch;
  }
  return out;
}

/** Builds `attr=value` RDN with the value escaped. */
function rdn(attribute: string, value: string): string {
  if (!/^[A-Za-z][A-Za-z0-9-]*$/.test(attribute)) throw new Error(`invalid attribute name: ${attribute}`);
  return `${attribute}=${escapeDnValue(value)}`;
}

/** Appends an escaped RDN to an already-valid parent DN. */
export function childDn(attribute: string, value: string, parentDn: string): string {
  return `${rdn(attribute, value)},${parentDn}`;
}

/** One attribute-type-and-value of an RDN, with the value unescaped. */
export interface DnPart {
  type: string;
  value: string;
}

/** A DN whose normal form is its lower-cased text: see normalizeDn. */
const PLAIN_DN = /^[A-Za-z][A-Za-z0-9-]*=[A-Za-z0-9._@-]+(?:,[A-Za-z][A-Za-z0-9-]*=[A-Za-z0-9._@-]+)*$/;

/**
 * Parses an RFC 4514 DN into RDNs (each a list of type/value pairs, several
 * for a multi-valued RDN joined by `+`), unescaping `\c` and `\XX` (hex pairs
 * are UTF-8 bytes). Servers answer with their own escaping — slapd returns
 * `uid=a\2Cb` for `uid=a\,b` — so DNs are compared parsed, never as text.
 * Throws on a malformed DN.
 */
export function parseDn(dn: string): DnPart[][] {
  const rdns: DnPart[][] = [];
  if (dn.trim() === '') return rdns;
  let i = 0;
  let current: DnPart[] = [];
  while (i <= dn.length) {
    while (dn[i] === ' ') i++;
    const eq = dn.indexOf('=', i);
    if (eq < 0) throw new Error(`malformed DN: ${dn}`);
    const type = dn.slice(i, eq).trim();
    if (!/^([A-Za-z][A-Za-z0-9-]*|\d+(\.\d+)*)$/.test(type)) throw new Error(`malformed DN: ${dn}`);
    i = eq + 1;
    while (dn[i] === ' ') i++;
    const bytes: number[] = [];
    let trailingSpaces = 0;
    for (; i < dn.length && dn[i] !== ',' && dn[i] !== '+' && dn[i] !== ';'; i++) {
      const ch = dn[i]!;
      if (ch === '\\') {
        const hex = /^[0-9A-Fa-f]{2}/.exec(dn.slice(i + 1, i + 3));
        if (hex) {
          bytes.push(parseInt(hex[0], 16));
          i += 2;
        } else if (i + 1 < dn.length) {
          bytes.push(...Buffer.from(dn[++i]!, 'utf8'));
        } else throw new Error(`malformed DN: ${dn}`);
        trailingSpaces = 0;
      } else {
        bytes.push(...Buffer.from(ch, 'utf8'));
        trailingSpaces = ch === ' ' ? trailingSpaces + 1 : 0;
      }
    }
    // Unescaped trailing spaces are not part of the value (RFC 4514 §3).
    const value = Buffer.from(bytes.slice(0, bytes.length - trailingSpaces)).toString('utf8');
    current.push({ type, value });
    if (dn[i] !== '+') {
      rdns.push(current);
      current = [];
    }
    i++;
  }
  return rdns;
}

/**
 * Normalises a DN for comparison: parsed (any escaping), attribute types and
 * values lower-cased, multi-valued RDNs sorted, then re-escaped canonically.
 * Falls back to lower-casing when the DN does not parse.
 */
export function normalizeDn(dn: string): string {
  // Most DNs are plain (letters, digits, `.`, `_`, `@`, `-`; no spaces, escapes or `+`): for them the
  // canonical form is the lower-cased text, without parsing (reconciliation normalises every member of a group).
  if (PLAIN_DN.test(dn)) return dn.toLowerCase();
  let rdns: DnPart[][];
  try {
    rdns = parseDn(dn);
  } catch {
    return dn.trim().toLowerCase();
  }
  return rdns
    .map((parts) =>
      parts
        .map((p) => `${p.type.toLowerCase()}=${escapeDnValue(p.value.toLowerCase())}`)
        .sort()
        .join('+'),
    )
    .join(',');
}

/** Whether two DNs name the same entry (see normalizeDn). */
export function sameDn(a: string, b: string): boolean {
  return normalizeDn(a) === normalizeDn(b);
}

/** The value of the first RDN (`cn` of `cn=wheel,ou=groups,…`), unescaped. */
export function firstRdnValue(dn: string): string | undefined {
  // Plain DNs (see normalizeDn) need no parsing: the value runs from the first '=' to the first ','.
  if (PLAIN_DN.test(dn)) {
    const eq = dn.indexOf('=');
    const comma = dn.indexOf(',');
    return eq < 0 ? undefined : dn.slice(eq + 1, comma < 0 ? undefined : comma);
  }
  try {
    return parseDn(dn)[0]?.[0]?.value;
  } catch {
    return undefined;
  }
}

/** The DN of the parent entry, re-escaped canonically (case preserved). */
export function parentDn(dn: string): string {
  return parseDn(dn)
    .slice(1)
    .map((parts) => parts.map((p) => `${p.type}=${escapeDnValue(p.value)}`).join('+'))
    .join(',');
}
