import type { Entry } from 'ldapts';
import { errorMessage } from '../../errors.js';
import type { Logger } from '../../logger.js';
import { normalizeDn } from '../ldap/escape.js';
import type { LdapConnection } from '../ldap/ldap-connection.js';
import { attrValues } from '../ldap/ldap-entry.js';
import { ldapResultCode } from '../ldap/ldap-errors.js';
import { contains } from '../ldap/ldap-filters.js';

/**
 * The equality indexes reconciliation relies on: each listing page asks for
 * the groups whose member, uniqueMember or memberUid names one of its 500
 * accounts. Without them slapd tests every group entry against that filter,
 * on every page of every pass.
 */
export const RECONCILE_INDEXES = ['member', 'uniqueMember', 'memberUid'] as const;

/** What the start-up check learnt: the indexes missing from the database holding the base DN, or why it could not tell. */
export type IndexCheck = { checked: true; database: string; missing: string[] } | { checked: false; reason: string };

/**
 * Reads the olcDbIndex of the database that holds `baseDn` from cn=config
 * (where slapd serves it and the service's bind may read it) and names the
 * RECONCILE_INDEXES without equality. Never throws: anything that stops the
 * check is a reason it could not check.
 */
export async function checkReconcileIndexes(connection: LdapConnection, baseDn: string): Promise<IndexCheck> {
  let entries: Entry[];
  try {
    entries = await connection.search(
      'cn=config',
      { scope: 'one', filter: contains('olcSuffix', ''), attributes: ['olcSuffix', 'olcDbIndex'] },
      'read database indexes from cn=config',
    );
  } catch (err) {
    const code = ldapResultCode(err);
    if (code === 32) return { checked: false, reason: 'cn=config is not served or not visible to the service account' };
    if (code === 50) return { checked: false, reason: 'the service account may not read cn=config' };
    return { checked: false, reason: `cn=config could not be read: ${errorMessage(err)}` };
  }
  const base = normalizeDn(baseDn);
  // The database holding the base DN: the longest suffix the base DN ends with.
  let best: { dn: string; suffix: string; indexes: string[] } | undefined;
  for (const e of entries)
    for (const raw of attrValues(e, 'olcSuffix')) {
      const suffix = normalizeDn(raw);
      if ((base === suffix || base.endsWith(`,${suffix}`)) && (!best || suffix.length > best.suffix.length))
        best = { dn: e.dn, suffix, indexes: attrValues(e, 'olcDbIndex') };
    }
  if (!best)
    return {
      checked: false,
      reason: entries.length ? `no database in cn=config holds ${baseDn}` : 'the service account sees no database in cn=config (it may not read it)',
    };
  const equality = equalityIndexed(best.indexes);
  return { checked: true, database: best.dn, missing: RECONCILE_INDEXES.filter((a) => !equality.has(a.toLowerCase())) };
}

/**
 * The attributes (lower case) with an equality index, from olcDbIndex values
 * such as `member,uniqueMember eq`, `memberUid eq,sub`, or a bare
 * `memberUid` that takes the `default` line's types.
 */
export function equalityIndexed(values: readonly string[]): Set<string> {
  const lines = values.map((v) => v.trim().split(/\s+/)).filter((parts) => parts[0]);
  const types = (parts: string[]) => (parts[1] ?? '').toLowerCase().split(',');
  const defaults = lines.find((parts) => parts[0]!.toLowerCase() === 'default');
  const out = new Set<string>();
  for (const parts of lines) {
    const attrs = parts[0]!.toLowerCase().split(',');
    if (attrs.includes('default')) continue;
    const kinds = parts[1] ? types(parts) : defaults ? types(defaults) : [];
    if (kinds.includes('eq')) for (const a of attrs) out.add(a);
  }
  return out;
}

/** Logs what the check found: missing indexes as a warning (start-up goes on), an unchecked directory as information. */
export function reportReconcileIndexes(check: IndexCheck, logger: Logger): void {
  const wanted = RECONCILE_INDEXES.join(', ');
  if (!check.checked) {
    logger.info(`could not check the directory's indexes for reconciliation (${wanted} equality); see README, Operations`, { reason: check.reason });
    return;
  }
  if (check.missing.length)
    logger.warn(
      `the directory lacks equality indexes reconciliation needs: add "index ${check.missing.join(',')} eq" (olcDbIndex) to the database, or every reconcile pass scans all groups per page; see README, Operations`,
      { database: check.database, missing: check.missing },
    );
  else logger.info(`the directory indexes ${wanted} for equality, as reconciliation needs`, { database: check.database });
}
