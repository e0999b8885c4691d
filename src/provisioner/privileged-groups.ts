import { firstRdnValue, normalizeDn, parseDn } from './ldap/escape.js';

/** What privilege resolution needs to know about a group. */
export interface GroupFacts {
  /** The DN as the directory spells it. */
  dn: string;
  /** The group's name for messages (first cn value). */
  name: string;
  /**
   * Every value the group is known by, as read from the entry: all values of
   * cn (multi-valued in LDAP), and on AD also sAMAccountName and name.
   */
  names?: readonly string[];
  /** posixGroup gidNumber, if any. */
  gidNumber?: number;
}

/**
 * Every name a group answers to: `name`, every value in `names` and the
 * value(s) of the DN's first RDN. Privilege is judged on all of them, since
 * a client may know the group by any one (`cn: helpdesk-tools` + `cn: sudo`
 * is sudo to sudo-ldap and to an nss lookup by either name).
 */
export function namingValues(group: GroupFacts): string[] {
  const values = new Set<string>([group.name, ...(group.names ?? [])]);
  try {
    for (const part of parseDn(group.dn)[0] ?? []) values.add(part.value);
  } catch {
    // A DN that does not parse has no RDN to add; the names read from the entry still count.
  }
  return [...values];
}

/**
 * OpenLDAP's built-in privileged set, by group name (cn), case-insensitive,
 * whole name: root; wheel; sudo, sudoers; admin, admins, administrator(s);
 * dba, dba-*, dba_*, *-dba, *_dba, dbadmin(s), dbas; and "<scope> admins"
 * names (domain/enterprise/schema/ldap/sys/system/db/database admin(s), with
 * space, - or _ or nothing between). Also any posixGroup with gidNumber 0.
 */
const BUILTIN_PRIVILEGED_NAMES: readonly RegExp[] = [
  /^root$/i,
  /^wheel$/i,
  /^sudo(ers)?$/i,
  /^admins?$/i,
  /^administrators?$/i,
  /^dbas?$/i,
  /^dba[-_].+$/i,
  /^.+[-_]dba$/i,
  /^dbadmins?$/i,
  /^(domain|enterprise|schema|ldap|sys|system|db|database)[-_ ]?admins?$/i,
];

/** Whether a group is privileged by OpenLDAP's built-in rules (any naming value, or gid 0). */
export function isBuiltinPrivileged(group: GroupFacts): boolean {
  return group.gidNumber === 0 || namingValues(group).some((name) => BUILTIN_PRIVILEGED_NAMES.some((re) => re.test(name)));
}

/**
 * The policy file's `privilegedGroups`: each entry is a DN (contains `=`,
 * compared normalised), a `/regex/flags` (always case-insensitive, tested
 * against the DN and every naming value), or a bare name (case-insensitive,
 * against every naming value: see namingValues).
 */
export class PrivilegedGroupPolicy {
  private readonly dns = new Set<string>();
  private readonly names = new Set<string>();
  private readonly patterns: RegExp[] = [];

  constructor(entries: readonly string[]) {
    for (const entry of entries) {
      const regex = /^\/(.+)\/([a-z]*)$/.exec(entry);
      // g and y would make test() stateful across the several names of one group.
      if (regex) this.patterns.push(new RegExp(regex[1]!, `${regex[2]!.replace(/[giy]/g, '')}i`));
      else if (entry.includes('=')) this.dns.add(normalizeDn(entry));
      else this.names.add(entry.toLowerCase());
    }
  }

  matches(group: GroupFacts): boolean {
    if (this.dns.has(normalizeDn(group.dn))) return true;
    const names = namingValues(group);
    return names.some((name) => this.names.has(name.toLowerCase())) || this.patterns.some((re) => re.test(group.dn) || names.some((name) => re.test(name)));
  }
}

/** The name of a group from its DN when the entry has no cn (first RDN value). */
export function nameFromDn(dn: string): string {
  return firstRdnValue(dn) ?? dn;
}

/**
 * Breadth-first search up the nesting graph: from a group to the groups that
 * list it as a member, to any depth, stopping at the nearest privileged one.
 * Cycles end at the visited set. `parentsOf` results are memoised for the
 * resolver's lifetime — make one resolver per call, not per process.
 */
export function privilegeResolver(
  isPrivileged: (group: GroupFacts) => boolean,
  parentsOf: (groupDn: string) => Promise<GroupFacts[]>,
): (start: GroupFacts) => Promise<GroupFacts | undefined> {
  const parents = new Map<string, Promise<GroupFacts[]>>();
  const cachedParents = (dn: string): Promise<GroupFacts[]> => {
    const key = normalizeDn(dn);
    let p = parents.get(key);
    if (!p) parents.set(key, (p = parentsOf(dn)));
    return p;
  };
  return async (start) => {
    const visited = new Set<string>([normalizeDn(start.dn)]);
    let frontier = [start];
    while (frontier.length) {
      const hit = frontier.find(isPrivileged);
      if (hit) return hit;
      const next: GroupFacts[] = [];
      for (const layer of await Promise.all(frontier.map((g) => cachedParents(g.dn)))) {
        for (const parent of layer) {
          const key = normalizeDn(parent.dn);
          if (visited.has(key)) continue;
          visited.add(key);
          next.push(parent);
        }
      }
      frontier = next;
    }
    return undefined;
  };
}
