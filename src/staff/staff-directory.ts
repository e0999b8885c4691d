import { ExtensibleFilter, type Entry, type Filter } from 'ldapts';
import { DirectoryError } from '../errors.js';
import { fromFileTime } from '../provisioner/ad/ad-time.js';
import { normalizeDn } from '../provisioner/ldap/escape.js';
import { LdapConnection, type LdapConnectionOptions } from '../provisioner/ldap/ldap-connection.js';
import { attrValue, attrValues, fromGeneralizedTime } from '../provisioner/ldap/ldap-entry.js';
import { ldapResultCode } from '../provisioner/ldap/ldap-errors.js';
import { and, eq, or } from '../provisioner/ldap/ldap-filters.js';
import { groupFilter, listedIn } from '../provisioner/openldap/openldap-group-writer.js';
import { nameFromDn } from '../provisioner/privileged-groups.js';

/** A staff account as found in the directory. */
export interface StaffAccount {
  dn: string;
  /** The login attribute's value as the directory spells it: the actor's stable name. */
  name: string;
  displayName: string;
}

/** A group the account belongs to, directly or through nesting. */
export interface StaffGroup {
  dn: string;
  /** cn (and on AD sAMAccountName) values. */
  names: string[];
}

export interface StaffDirectoryOptions {
  dialect: 'openldap' | 'ad';
  /** The service account's connection to the staff directory (searches only). */
  connection: LdapConnection;
  /** How to open a connection that binds as a staff member (same URL and TLS settings). */
  userConnection: Omit<LdapConnectionOptions, 'bindDn' | 'bindPassword' | 'poolSize' | 'logger'>;
  /** STAFF_SEARCH_BASE (default LDAP_BASE_DN): accounts are looked up below it. */
  searchBase: string;
  /** Groups are looked up below it (OpenLDAP walks the nesting itself). */
  groupBase: string;
  /** policy.staff.loginAttribute, already defaulted per dialect. */
  loginAttribute: string;
  /** The clock expiry attributes are compared with. */
  now?: () => Date;
}

/** LDAP_MATCHING_RULE_IN_CHAIN: AD follows the nesting itself, cycle-safe. */
const IN_CHAIN = '1.2.840.113556.1.4.1941';
/** OpenLDAP nesting deeper than this is taken as a loop the visited set missed: refused rather than followed forever. */
const MAX_DEPTH = 32;
/** AD userAccountControl ACCOUNTDISABLE. */
const UAC_DISABLED = 0x2;
/** The DN an unknown login binds to, so that it takes the same round trip as a wrong password. */
const NO_SUCH_ACCOUNT = 'cn=leasehold-no-such-account';

/**
 * Staff accounts in the directory (issue 11): look-up by login name, a bind
 * as the account to check its password, its groups at any nesting depth and
 * whether it is still enabled. Every filter is an object (ldap-filters.ts):
 * the login name never becomes filter syntax.
 */
export class StaffDirectory {
  private readonly attributes: string[];

  constructor(private readonly options: StaffDirectoryOptions) {
    const extra =
      options.dialect === 'ad' ? ['sAMAccountName', 'userPrincipalName', 'userAccountControl', 'accountExpires'] : ['pwdAccountLockedTime', 'pwdEndTime'];
    this.attributes = [options.loginAttribute, 'displayName', 'cn', ...extra];
  }

  /**
   * The one account whose login attribute (on AD also userPrincipalName)
   * equals `login`; null when none or several match (an ambiguous login
   * signs nobody in).
   */
  async find(login: string): Promise<StaffAccount | null> {
    const { dialect, loginAttribute } = this.options;
    const byName = dialect === 'ad' && login.includes('@') ? or(eq(loginAttribute, login), eq('userPrincipalName', login)) : eq(loginAttribute, login);
    // Two at most: ldapts hands back the entries sent before sizeLimitExceeded, and two already make the login ambiguous.
    const hits = await this.options.connection.search(
      this.options.searchBase,
      { scope: 'sub', filter: and(this.accountClass(), byName), attributes: this.attributes, sizeLimit: 2 },
      'look up a staff account',
    );
    return hits.length === 1 ? this.toAccount(hits[0]!) : null;
  }

  /** The account at `dn` when it still exists and may sign in; null when deleted or disabled. */
  async current(dn: string): Promise<StaffAccount | null> {
    let entry: Entry | undefined;
    try {
      [entry] = await this.options.connection.search(dn, { scope: 'base', filter: this.accountClass(), attributes: this.attributes }, 'read a staff account');
    } catch (err) {
      if (ldapResultCode(err) === 32) return null;
      throw err;
    }
    if (!entry || this.disabled(entry)) return null;
    return this.toAccount(entry);
  }

  /**
   * Whether `password` binds as `dn`. False on invalid credentials (49,
   * which also covers disabled, expired and locked accounts); any other
   * failure throws. An empty password is never tried: it would be an
   * unauthenticated bind, which "succeeds" as nobody (RFC 4513 §5.1.2).
   */
  async verifyPassword(dn: string, password: string): Promise<boolean> {
    if (password === '') return false;
    const connection = new LdapConnection({ ...this.options.userConnection, bindDn: dn, bindPassword: password, poolSize: 1 });
    try {
      await connection.ping();
      return true;
    } catch (err) {
      if (ldapResultCode(err) === 49) return false;
      throw err;
    } finally {
      await connection.close();
    }
  }

  /** Spends a bind's round trip on a DN that does not exist, so an unknown login answers as slowly as a wrong password. */
  async failLikeABind(password: string): Promise<void> {
    await this.verifyPassword(`${NO_SUCH_ACCOUNT},${this.options.searchBase}`, password || 'x').catch(() => false);
  }

  /** Every group `dn` belongs to, directly or through nested groups. */
  async groupsOf(account: StaffAccount): Promise<StaffGroup[]> {
    return this.options.dialect === 'ad' ? this.adGroups(account.dn) : this.openLdapGroups(account);
  }

  private async adGroups(dn: string): Promise<StaffGroup[]> {
    const filter = new ExtensibleFilter({ matchType: 'member', rule: IN_CHAIN, value: dn });
    const entries = await this.options.connection.search(
      this.options.groupBase,
      { scope: 'sub', filter: and(eq('objectClass', 'group'), filter), attributes: ['cn', 'sAMAccountName'] },
      'read the groups of a staff account',
    );
    return entries.map((e) => ({ dn: e.dn, names: [...attrValues(e, 'cn'), ...attrValues(e, 'sAMAccountName')] }));
  }

  /** OpenLDAP's memberOf is not transitive: walk upwards breadth-first with a visited set (groups may form loops). */
  private async openLdapGroups(account: StaffAccount): Promise<StaffGroup[]> {
    const found = new Map<string, StaffGroup>();
    let frontier: Filter[] = [listedIn(account.dn, account.name)];
    for (let depth = 0; frontier.length > 0; depth++) {
      if (depth >= MAX_DEPTH) throw new DirectoryError(`staff group nesting deeper than ${MAX_DEPTH} levels under ${this.options.groupBase}`, false);
      const entries = await this.options.connection.search(
        this.options.groupBase,
        { scope: 'sub', filter: and(groupFilter, or(...frontier)), attributes: ['cn'] },
        'read the groups of a staff account',
      );
      const next: Filter[] = [];
      for (const e of entries) {
        const key = normalizeDn(e.dn);
        if (found.has(key)) continue;
        found.set(key, { dn: e.dn, names: attrValues(e, 'cn') });
        next.push(listedIn(e.dn));
      }
      frontier = next;
    }
    return [...found.values()];
  }

  /** Person accounts: AD users (objectClass user; computers are users too but have no staff password to give), OpenLDAP persons. */
  private accountClass(): Filter {
    return this.options.dialect === 'ad' ? eq('objectClass', 'user') : or(eq('objectClass', 'person'), eq('objectClass', 'posixAccount'));
  }

  private toAccount(entry: Entry): StaffAccount {
    const name = attrValue(entry, this.options.loginAttribute) ?? nameFromDn(entry.dn);
    return { dn: entry.dn, name, displayName: attrValue(entry, 'displayName') ?? attrValue(entry, 'cn') ?? name };
  }

  /** Disabled in the directory's own terms: AD's ACCOUNTDISABLE or a past accountExpires; ppolicy's lock or a past pwdEndTime. */
  private disabled(entry: Entry): boolean {
    const now = (this.options.now ?? (() => new Date()))().getTime();
    if (this.options.dialect === 'ad') {
      const uac = Number(attrValue(entry, 'userAccountControl') ?? 0);
      const expires = fromFileTime(attrValue(entry, 'accountExpires'));
      return (uac & UAC_DISABLED) !== 0 || (expires !== undefined && expires.getTime() <= now);
    }
    if (attrValue(entry, 'pwdAccountLockedTime') !== undefined) return true;
    const end = attrValue(entry, 'pwdEndTime');
    const endAt = end === undefined ? undefined : fromGeneralizedTime(end);
    return endAt !== undefined && endAt.getTime() <= now;
  }
}
