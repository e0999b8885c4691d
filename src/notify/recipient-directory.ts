import { ExtensibleFilter, type Entry } from 'ldapts';
import { normalizeDn } from '../provisioner/ldap/escape.js';
import type { LdapConnection } from '../provisioner/ldap/ldap-connection.js';
import { attrValue, attrValues } from '../provisioner/ldap/ldap-entry.js';
import { ldapResultCode } from '../provisioner/ldap/ldap-errors.js';
import { and, eq, or } from '../provisioner/ldap/ldap-filters.js';
import { groupFilter } from '../provisioner/openldap/openldap-group-writer.js';
import type { StaffAccount } from '../staff/staff-directory.js';
import type { StaffRole, StaffRoleMapping } from '../staff/staff-roles.js';

/** A staff member mail can be sent to. */
export interface Recipient {
  dn: string;
  /** Login name (the actor name staff sign in with). */
  name: string;
  displayName: string;
  mail: string;
}

/** Who is mailed, as the directory says: role members and requesters, each with their `mail` attribute. */
export interface RecipientDirectory {
  /** Every enabled account in the role's groups (at any nesting depth) that has a mail address. */
  membersOf(role: StaffRole): Promise<Recipient[]>;
  /** The enabled account signing in as `login`, when it has a mail address. */
  byLogin(login: string): Promise<Recipient | null>;
  /** The enabled account at `dn`, when it has a mail address. */
  byDn(dn: string): Promise<Recipient | null>;
}

/** What the staff sign-in already knows about accounts: look-up by login name and whether one may still sign in. */
export interface StaffAccounts {
  find(login: string): Promise<StaffAccount | null>;
  current(dn: string): Promise<StaffAccount | null>;
}

const IN_CHAIN = '1.2.840.113556.1.4.1941';
const MAX_DEPTH = 32;
const GROUP_CLASSES = ['groupofnames', 'groupofuniquenames', 'posixgroup', 'group'];

/**
 * Role members and requesters in the staff directory, read over the staff
 * connection. Roles map to groups (policy.staff.roles, DNs or names) exactly
 * as at sign-in; nested groups are followed downwards (AD by the in-chain
 * rule, OpenLDAP breadth-first with a visited set). Disabled accounts and
 * anything under the vendor container are never mailed.
 */
export class LdapRecipientDirectory implements RecipientDirectory {
  constructor(
    private readonly options: {
      dialect: 'openldap' | 'ad';
      connection: LdapConnection;
      accounts: StaffAccounts;
      roles: StaffRoleMapping;
      /** Where role groups named by name are looked for. */
      groupBase: string;
      /** Where staff accounts live (AD's in-chain search runs below it). */
      searchBase: string;
      vendorOu: string;
    },
  ) {}

  async membersOf(role: StaffRole): Promise<Recipient[]> {
    const groups = await this.roleGroups(role);
    const dns = this.options.dialect === 'ad' ? await this.adMembers(groups) : await this.openLdapMembers(groups);
    const out: Recipient[] = [];
    for (const dn of dns) {
      const r = await this.byDn(dn);
      if (r && !out.some((o) => normalizeDn(o.dn) === normalizeDn(r.dn))) out.push(r);
    }
    return out;
  }

  async byLogin(login: string): Promise<Recipient | null> {
    const account = await this.options.accounts.find(login);
    return account ? this.byDn(account.dn) : null;
  }

  async byDn(dn: string): Promise<Recipient | null> {
    const vendorOu = normalizeDn(this.options.vendorOu);
    const key = normalizeDn(dn);
    if (key === vendorOu || key.endsWith(`,${vendorOu}`)) return null;
    const account = await this.options.accounts.current(dn);
    if (!account) return null;
    const entry = await this.read(dn, ['mail']);
    const mail = entry && attrValue(entry, 'mail');
    return mail ? { dn: account.dn, name: account.name, displayName: account.displayName, mail } : null;
  }

  /** The DNs of the groups policy.staff.roles names for `role`. */
  private async roleGroups(role: StaffRole): Promise<string[]> {
    const out: string[] = [];
    for (const entry of this.options.roles[role]) {
      if (entry.includes('=')) {
        out.push(entry);
        continue;
      }
      const names = this.options.dialect === 'ad' ? or(eq('cn', entry), eq('sAMAccountName', entry)) : eq('cn', entry);
      const cls = this.options.dialect === 'ad' ? eq('objectClass', 'group') : groupFilter;
      const hits = await this.options.connection.search(
        this.options.groupBase,
        { scope: 'sub', filter: and(cls, names), attributes: ['1.1'] },
        'find a role group',
      );
      out.push(...hits.map((h) => h.dn));
    }
    return out;
  }

  private async adMembers(groups: string[]): Promise<string[]> {
    const out: string[] = [];
    for (const group of groups) {
      const inChain = new ExtensibleFilter({ matchType: 'memberOf', rule: IN_CHAIN, value: group });
      const hits = await this.options.connection.search(
        this.options.searchBase,
        { scope: 'sub', filter: and(eq('objectClass', 'user'), inChain), attributes: ['1.1'] },
        'read the members of a role group',
      );
      out.push(...hits.map((h) => h.dn));
    }
    return out;
  }

  /** Walks member / uniqueMember / memberUid downwards; groups may nest and loop. */
  private async openLdapMembers(groups: string[]): Promise<string[]> {
    const seen = new Set<string>();
    const people: string[] = [];
    let frontier = groups;
    for (let depth = 0; frontier.length > 0 && depth < MAX_DEPTH; depth++) {
      const next: string[] = [];
      for (const dn of frontier) {
        const key = normalizeDn(dn);
        if (!dn || seen.has(key)) continue;
        seen.add(key);
        const entry = await this.read(dn, ['objectClass', 'member', 'uniqueMember', 'memberUid']);
        if (!entry) continue;
        const classes = attrValues(entry, 'objectClass').map((c) => c.toLowerCase());
        if (!classes.some((c) => GROUP_CLASSES.includes(c))) {
          people.push(entry.dn);
          continue;
        }
        next.push(...attrValues(entry, 'member'), ...attrValues(entry, 'uniqueMember'));
        for (const uid of attrValues(entry, 'memberUid')) {
          const account = await this.options.accounts.find(uid);
          if (account) next.push(account.dn);
        }
      }
      frontier = next;
    }
    return people;
  }

  /** One entry, or null when it does not exist. */
  private async read(dn: string, attributes: string[]): Promise<Entry | null> {
    try {
      const [entry] = await this.options.connection.search(dn, { scope: 'base', attributes }, 'read a staff entry');
      return entry ?? null;
    } catch (err) {
      if (ldapResultCode(err) === 32 || ldapResultCode(err) === 34) return null;
      throw err;
    }
  }
}
