import { Attribute, Change, type Entry, type Filter } from 'ldapts';
import { DirectoryError } from '../../errors.js';
import type { LdapConnection } from '../ldap/ldap-connection.js';
import { attrValue, attrValues } from '../ldap/ldap-entry.js';
import { ldapResultCode } from '../ldap/ldap-errors.js';
import { eq, or } from '../ldap/ldap-filters.js';
import { nameFromDn, type GroupFacts } from '../privileged-groups.js';

/** The group classes understood, with the attribute that lists members and what it holds. */
const MEMBER_ATTRIBUTES = [
  { objectClass: 'groupofnames', attribute: 'member', holds: 'dn' },
  { objectClass: 'groupofuniquenames', attribute: 'uniqueMember', holds: 'dn' },
  { objectClass: 'posixgroup', attribute: 'memberUid', holds: 'uid' },
] as const;

/** Attributes read from a group entry. */
export const GROUP_ATTRIBUTES = ['cn', 'objectClass', 'gidNumber'];

/** Any group entry. */
export const groupFilter: Filter = or(...MEMBER_ATTRIBUTES.map((m) => eq('objectClass', m.objectClass)));

/** Groups that list an account (by DN, or by uid for posixGroup) or a group (by DN) directly. */
export function listedIn(dn: string, uid?: string): Filter {
  return or(eq('member', dn), eq('uniqueMember', dn), ...(uid !== undefined ? [eq('memberUid', uid)] : []));
}

/** The facts privilege resolution needs, from a group entry. */
export function toGroupFacts(entry: Entry): GroupFacts {
  const gid = attrValue(entry, 'gidNumber');
  return {
    dn: entry.dn,
    name: attrValue(entry, 'cn') ?? nameFromDn(entry.dn),
    ...(gid !== undefined && /^\d+$/.test(gid) ? { gidNumber: Number(gid) } : {}),
  };
}

/**
 * Group membership writes for one directory. Each group is read first for its
 * classes, then every member attribute those classes use is written; a value
 * already present (20) or already absent (16) counts as done.
 */
export class OpenLdapGroupWriter {
  constructor(private readonly connection: LdapConnection) {}

  /** Adds the account; a missing group is a permanent NoSuchObject failure. */
  async add(groupDn: string, accountDn: string, uid: () => Promise<string>): Promise<void> {
    for (const m of await this.memberAttributes(groupDn, false)) {
      const value = m.holds === 'dn' ? accountDn : await uid();
      try {
        await this.connection.modify(groupDn, change('add', m.attribute, value), `add ${accountDn} to ${groupDn}`);
      } catch (err) {
        if (ldapResultCode(err) !== 20) throw err;
      }
    }
  }

  /** Removes the account; a missing group or value counts as done. */
  async remove(groupDn: string, accountDn: string, uid: () => Promise<string>): Promise<void> {
    for (const m of await this.memberAttributes(groupDn, true)) {
      const value = m.holds === 'dn' ? accountDn : await uid();
      const what = `remove ${accountDn} from ${groupDn}`;
      try {
        await this.connection.modify(groupDn, change('delete', m.attribute, value), what);
      } catch (err) {
        const code = ldapResultCode(err);
        if (code === 16 || code === 32) continue;
        // groupOfNames/groupOfUniqueNames must keep one member: leave the empty DN in its place.
        if (code !== 65 || m.holds !== 'dn') throw err;
        await this.connection.modify(groupDn, [change('delete', m.attribute, value), change('add', m.attribute, '')], what);
      }
    }
  }

  private async memberAttributes(groupDn: string, missingOk: boolean): Promise<(typeof MEMBER_ATTRIBUTES)[number][]> {
    let entries: Entry[];
    try {
      entries = await this.connection.search(groupDn, { scope: 'base', filter: groupFilter, attributes: ['objectClass'] }, `read group ${groupDn}`);
    } catch (err) {
      if (missingOk && ldapResultCode(err) === 32) return [];
      throw err;
    }
    if (!entries.length && !missingOk) throw new DirectoryError(`${groupDn} is not a group`, false, 32);
    const classes = new Set(entries.flatMap((e) => attrValues(e, 'objectClass')).map((c) => c.toLowerCase()));
    return MEMBER_ATTRIBUTES.filter((m) => classes.has(m.objectClass));
  }
}

function change(operation: 'add' | 'delete', type: string, value: string): Change {
  return new Change({ operation, modification: new Attribute({ type, values: [value] }) });
}
