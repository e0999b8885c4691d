import { AndFilter, EqualityFilter, OrFilter, PresenceFilter, SubstringFilter, type Filter } from 'ldapts';

/**
 * Filter objects instead of filter strings: values travel as BER octet
 * strings, so nothing from input is ever parsed as filter syntax, and
 * non-ASCII values work (string filters cannot carry `\XX` escapes of bytes
 * ≥ 0x80 in ldapts — DIRECTORY.md).
 */
export function eq(attribute: string, value: string | Buffer): Filter {
  return new EqualityFilter({ attribute, value });
}

/** `(|…)`; a single filter is returned as is. */
export function or(...filters: Filter[]): Filter {
  return filters.length === 1 ? filters[0]! : new OrFilter({ filters });
}

/** `(&…)`; a single filter is returned as is. */
export function and(...filters: Filter[]): Filter {
  return filters.length === 1 ? filters[0]! : new AndFilter({ filters });
}

/** `(attribute=*text*)` with `text` as one octet string (never parsed), or `(attribute=*)` for empty text. */
export function contains(attribute: string, text: string): Filter {
  return text === '' ? new PresenceFilter({ attribute }) : new SubstringFilter({ attribute, any: [text] });
}
