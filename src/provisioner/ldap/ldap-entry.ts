import type { Entry } from 'ldapts';

/**
 * ldapts returns a single value as a scalar and several as an array, under
 * the attribute name as the server spells it. These read an attribute
 * case-insensitively and always as a list of strings.
 */
export function attrValues(entry: Entry, name: string): string[] {
  const wanted = name.toLowerCase();
  for (const [key, raw] of Object.entries(entry)) {
    if (key === 'dn' || key.toLowerCase() !== wanted) continue;
    const list = Array.isArray(raw) ? raw : [raw];
    return list.map((v) => (Buffer.isBuffer(v) ? v.toString('utf8') : v));
  }
  return [];
}

/** The first value of an attribute, if present. */
export function attrValue(entry: Entry, name: string): string | undefined {
  return attrValues(entry, name)[0];
}

/** Formats a date as LDAP GeneralizedTime in UTC, to the second (`20250131235959Z`). */
export function toGeneralizedTime(date: Date): string {
  return date
    .toISOString()
    .replace(/[-:T]/g, '')
    .replace(/\.\d{3}Z$/, 'Z');
}

/** Parses GeneralizedTime (`YYYYMMDDHHMM[SS[.f]]Z` or with ±hhmm offset); undefined when malformed. */
export function fromGeneralizedTime(value: string): Date | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})?(?:[.,](\d+))?(Z|[+-]\d{4})$/.exec(value);
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s = '00', frac = '0', zone = 'Z'] = m;
  let ms = Date.UTC(+y!, +mo! - 1, +d!, +h!, +mi!, +s, Math.round(Number(`0.${frac}`) * 1000));
  if (zone !== 'Z') {
    const sign = zone.startsWith('-') ? -1 : 1;
    ms -= sign * (Number(zone.slice(1, 3)) * 60 + Number(zone.slice(3, 5))) * 60_000;
  }
  return new Date(ms);
}
