import { Attribute, Change, type Entry, type Filter } from 'ldapts';
import { DirectoryError } from '../../errors.js';
import type { LdapConnection } from '../ldap/ldap-connection.js';
import { attrValue, attrValues } from '../ldap/ldap-entry.js';
import { ldapResultCode } from '../ldap/ldap-errors.js';
import { eq, or } from '../ldap/ldap-filters.js';
import { normalizeDn } from '../ldap/escape.js';
import { nameFromDn, type GroupFacts } from '../privileged-groups.js';
import { BatchedMemberWrites } from '../ldap/batched-member-writes.js';

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
    // cn is multi-valued: privilege is judged on every value (and the RDN), not the first one the server returns.
    names: attrValues(entry, 'cn'),
    ...(gid !== undefined && /^\d+$/.test(gid) ? { gidNumber: Number(gid) } : {}),
  };
}

type MemberAttribute = (typeof MEMBER_ATTRIBUTES)[number];

/**
 * Group membership writes for one directory. Each group is read first for its
 * classes, then every member attribute those classes use is written; a value
 * already present (20) or already absent (16) counts as done.
 *
 * Two economies (bench: provisioning and mass expiry put many accounts into
 * and out of a few groups at once): a group's member attributes are
 * remembered after the first read (a group's classes do not change; any
 * failed write forgets them), and while a modify of a group is in flight the
 * next changes of that group wait and then go as one multi-valued modify
 * (BatchedMemberWrites). A batch the directory refuses is retried value by
 * value, each with the rules above, so batching never changes an outcome.
 */
export class OpenLdapGroupWriter {
  private readonly classes = new Map<string, MemberAttribute[]>();
  private readonly batches: BatchedMemberWrites;

  constructor(private readonly connection: LdapConnection) {
    this.batches = new BatchedMemberWrites(
      {
        many: (op, groupDn, attribute, values) =>
          this.connection.modify(groupDn, change(op, attribute, ...values), `${op} ${values.length} members of ${groupDn}`),
        one: (op, groupDn, attribute, value) =>
          this.single(
            op,
            groupDn,
            MEMBER_ATTRIBUTES.find((m) => m.attribute === attribute)!,
            value,
          ),
      },
      (groupDn) => this.classes.delete(normalizeDn(groupDn)),
    );
  }

  /** Adds the account; a missing group is a permanent NoSuchObject failure. */
  async add(groupDn: string, accountDn: string, uid: () => Promise<string>): Promise<void> {
    for (const m of await this.memberAttributes(groupDn, false)) {
      const value = m.holds === 'dn' ? accountDn : await uid();
      await this.batches.change('add', groupDn, m.attribute, value);
    }
  }

  /** Removes the account; a missing group or value counts as done. */
  async remove(groupDn: string, accountDn: string, uid: () => Promise<string>): Promise<void> {
    for (const m of await this.memberAttributes(groupDn, true)) {
      const value = m.holds === 'dn' ? accountDn : await uid();
      await this.batches.change('delete', groupDn, m.attribute, value);
    }
  }

  private async single(op: 'add' | 'delete', groupDn: string, m: MemberAttribute, value: string): Promise<void> {
    const what = `${op === 'add' ? 'add' : 'remove'} ${value} ${op === 'add' ? 'to' : 'from'} ${groupDn}`;
    try {
      await this.connection.modify(groupDn, change(op, m.attribute, value), what);
    } catch (err) {
      const code = ldapResultCode(err);
      if (op === 'add') {
        if (code !== 20) throw err;
        return;
      }
      if (code === 16 || code === 32) return;
      // groupOfNames/groupOfUniqueNames must keep one member: leave the empty DN in its place.
      if (code !== 65 || m.holds !== 'dn') throw err;
      await this.connection.modify(groupDn, [change('delete', m.attribute, value), change('add', m.attribute, '')], what);
    }
  }

  private async memberAttributes(groupDn: string, missingOk: boolean): Promise<MemberAttribute[]> {
    const known = this.classes.get(normalizeDn(groupDn));
    if (known) return known;
    let entries: Entry[];
    try {
      entries = await this.connection.search(groupDn, { scope: 'base', filter: groupFilter, attributes: ['objectClass'] }, `read group ${groupDn}`);
    } catch (err) {
      if (missingOk && ldapResultCode(err) === 32) return [];
      throw err;
    }
    if (!entries.length && !missingOk) throw new DirectoryError(`${groupDn} is not a group`, false, 32);
    const classes = new Set(entries.flatMap((e) => attrValues(e, 'objectClass')).map((c) => c.toLowerCase()));
    const attributes = MEMBER_ATTRIBUTES.filter((m) => classes.has(m.objectClass));
    if (attributes.length) this.classes.set(normalizeDn(groupDn), attributes);
    return attributes;
  }
}

function change(operation: 'add' | 'delete', type: string, ...values: string[]): Change {
  return new Change({ operation, modification: new Attribute({ type, values }) });
}
