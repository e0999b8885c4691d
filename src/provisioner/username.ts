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
 * The n-th candidate username from the policy template: `{vendor}` is the
 * vendor's name, `{person}` the first word of the person's name (each slugged;
 * the id is used when a name has no Latin letters), then `-n`, cut so the
 * whole stays within 20 characters.
 */
export function candidateUsername(template: string, vendor: { id: string; name: string }, person: { id: string; fullName: string }, n: number): string {
  const vendorSlug = slug(vendor.name, 8) || vendor.id.slice(-6);
  const firstWord = person.fullName.trim().split(/\s+/)[0] ?? '';
  const personSlug = slug(firstWord, 8) || slug(person.fullName, 8) || person.id.slice(-6);
  const suffix = `-${n}`;
  const base = template
    .replaceAll('{vendor}', vendorSlug)
    .replaceAll('{person}', personSlug)
    .replace(/[^A-Za-z0-9._-]/g, '')
    .toLowerCase();
  return base.slice(0, MAX_USERNAME - suffix.length).replace(/[.-]+$/, '') + suffix;
}
