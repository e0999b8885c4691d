import { romaniseName, romanisePersonName } from './romanise.js';

/** AD's sAMAccountName limit applies to every dialect, so a name works in either. */
export const MAX_USERNAME = 20;

/** Lower-case ASCII letters and digits only; accents folded, everything else dropped. */
function slug(text: string, max: number): string {
  return text
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '')
    .slice(0, max);
}

/**
 * The person part: the first word of the Latin name the person gave, else of
 * the full name (family name first, as Taiwanese staff write it); a name with
 * no Latin letters is romanised (王小明 → wangxm); the id only when nothing
 * readable is left (kana, hangul, symbols).
 */
function personSlug(person: { id: string; fullName?: string; latinName?: string }): string {
  const latin = person.latinName?.trim();
  if (latin) return slug(latin.split(/\s+/)[0] ?? '', 8) || slug(latin, 8) || person.id.slice(-6);
  const fullName = person.fullName ?? '';
  const firstWord = fullName.trim().split(/\s+/)[0] ?? '';
  return slug(firstWord, 8) || slug(fullName, 8) || slug(romanisePersonName(fullName), 8) || person.id.slice(-6);
}

/**
 * The n-th candidate username from the policy template: `{vendor}` is the
 * vendor's name (romanised when it has no Latin letters), `{person}` as
 * personSlug, each slugged and cut to 8, then `-n`, cut so the whole stays
 * within 20 characters.
 */
export function candidateUsername(
  template: string,
  vendor: { id: string; name: string },
  person: { id: string; fullName?: string; latinName?: string },
  n: number,
): string {
  const vendorSlug = slug(vendor.name, 8) || slug(romaniseName(vendor.name), 8) || vendor.id.slice(-6);
  const suffix = `-${n}`;
  const base = template
    .replaceAll('{vendor}', vendorSlug)
    .replaceAll('{person}', personSlug(person))
    .replace(/[^A-Za-z0-9._-]/g, '')
    .toLowerCase();
  return base.slice(0, MAX_USERNAME - suffix.length).replace(/[.-]+$/, '') + suffix;
}
