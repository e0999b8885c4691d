import { Attribute, Change, type Entry, type Filter } from 'ldapts';
import { DirectoryError } from '../../errors.js';
import type { Logger } from '../../logger.js';
import {
  byGroupName,
  GROUP_SEARCH_CAP,
  type AccountSpec,
  type DirectoryAccount,
  type DirectoryGroup,
  type DirectoryPort,
  type PrivilegedMembership,
  type UsernameLookup,
} from '../../domain/ports/directory.port.js';
import { childDn, firstRdnValue, sameDn } from '../ldap/escape.js';
import type { LdapConnection } from '../ldap/ldap-connection.js';
import { attrValue, attrValues } from '../ldap/ldap-entry.js';
import { ldapResultCode } from '../ldap/ldap-errors.js';
import { and, contains, eq, or } from '../ldap/ldap-filters.js';
import {
  ACCOUNT_ATTRIBUTES,
  REQUEST_ID_ATTRIBUTE,
  UAC,
  accountAttributes,
  assertSamAccountName,
  realmOf,
  toDirectoryAccount,
  uacOf,
} from './ad-account-entry.js';
import { adOp, toAdDirectoryError } from './ad-errors.js';
import { addMember, removeMember } from './ad-members.js';
import { BatchedMemberWrites } from '../ldap/batched-member-writes.js';
import { decodeSid } from './ad-sid.js';
import { toFileTime } from './ad-time.js';
import { AdPrivilege, isMissing } from './ad-privilege.js';
import { resolveServiceAccountDn } from './ad-service-account.js';

/** How to build an AdDirectory adapter. */
export interface AdDirectoryOptions {
  /** The DC as the service account, over ldaps:// or StartTLS (AD refuses simple binds and passwords in clear). Closed by close(). */
  connection: LdapConnection;
  /** The domain's naming context, e.g. `DC=school,DC=test`. */
  baseDn: string;
  /** The OU that holds vendor accounts (LDAP_VENDOR_OU). */
  vendorOu: string;
  /** policy.privilegedGroups: DNs, names (cn or sAMAccountName) or /regex/, privileged on top of the built-in set. */
  privilegedGroups: readonly string[];
  /** userPrincipalName suffix; default the DNS name of baseDn. */
  upnSuffix?: string;
  /** Page size of listings (AD's MaxPageSize is 1000). */
  pageSize?: number;
  now?: () => Date;
  logger?: Logger;
}

/** Domain Users: every account's default primary group. */
const DOMAIN_USERS_RID = 513;
/** Accounts are users that are people: computers are users too in AD's schema. */
const PERSON = and(eq('objectCategory', 'person'), eq('objectClass', 'user'));

/**
 * DirectoryPort for Active Directory (and Samba's AD DC) over the shared
 * LdapConnection. Accounts live at `CN=<username>,<vendorOu>` — the
 * username is unique in the domain, a display name is not — and carry their
 * request id in employeeNumber so that a retried job finds them.
 */
export class AdDirectory implements DirectoryPort {
  private readonly conn: LdapConnection;
  private readonly privilege: AdPrivilege;
  private readonly upnSuffix: string;
  private readonly now: () => Date;
  private domainSidPromise?: Promise<string>;
  /** Member changes of one group by concurrent jobs go as one modify (a mass expiry strips many accounts from few groups). */
  private readonly members: BatchedMemberWrites;
  private serviceDnPromise?: Promise<string | undefined>;

  constructor(private readonly options: AdDirectoryOptions) {
    this.conn = options.connection;
    this.upnSuffix = options.upnSuffix ?? realmOf(options.baseDn);
    this.now = options.now ?? (() => new Date());
    this.privilege = new AdPrivilege(this.conn, options.baseDn, () => this.domainSid(), options.privilegedGroups);
    this.members = new BatchedMemberWrites({
      many: (op, groupDn, attribute, values) => {
        const change = new Change({ operation: op, modification: new Attribute({ type: attribute, values }) });
        return this.conn.modify(groupDn, change, `${op} ${values.length} members of ${groupDn}`);
      },
      one: (op, groupDn, _attribute, value) => (op === 'add' ? addMember(this.conn, groupDn, value) : removeMember(this.conn, groupDn, value)),
    });
  }

  async ping(): Promise<void> {
    await adOp('ping', () => this.conn.ping());
  }

  async missingGroups(groupDns: string[]): Promise<string[]> {
    const found = await Promise.all(groupDns.map(async (dn) => (await this.readEntry(dn, eq('objectClass', 'group'), ['1.1'])) !== null));
    return groupDns.filter((_, i) => !found[i]);
  }

  async searchGroups(text: string, limit: number): Promise<DirectoryGroup[]> {
    const filter = and(eq('objectClass', 'group'), or(contains('cn', text), contains('sAMAccountName', text)));
    const found: DirectoryGroup[] = [];
    // Paged (AD answers at most 1000 entries a search); every page is read, only the first CAP kept.
    for await (const page of this.conn.searchPaged(
      this.options.baseDn,
      { scope: 'sub', filter, attributes: ['cn'] },
      this.options.pageSize ?? 500,
      'search groups',
    ))
      for (const e of page) if (found.length < GROUP_SEARCH_CAP) found.push({ dn: e.dn, name: attrValue(e, 'cn') ?? firstRdnValue(e.dn) ?? e.dn });
    return found.sort(byGroupName).slice(0, limit);
  }

  /**
   * sAMAccountName is unique in the whole domain and the UPN in the forest, so both are checked everywhere, not
   * only in the vendor OU (both indexed); the request's own account is looked for at the same time in the vendor
   * OU, apart, as employeeNumber has no index in AD's schema.
   */
  async lookUpUsername(requestId: string, username: string): Promise<UsernameLookup> {
    const [mine, holders] = await Promise.all([
      adOp(`find account of ${requestId}`, () =>
        this.conn.search(this.options.vendorOu, { scope: 'sub', filter: and(PERSON, eq(REQUEST_ID_ATTRIBUTE, requestId)), attributes: ['sAMAccountName'] }),
      ),
      adOp(`look up username ${username}`, () =>
        this.conn.search(this.options.baseDn, {
          scope: 'sub',
          filter: or(eq('sAMAccountName', username), eq('userPrincipalName', `${username}@${this.upnSuffix}`)),
          attributes: ['1.1'],
        }),
      ),
    ]);
    if (mine[0]) return { existing: attrValue(mine[0], 'sAMAccountName') ?? username, taken: false };
    return { taken: holders.length > 0 };
  }

  async findAccount(requestId: string): Promise<DirectoryAccount | null> {
    const filter = and(PERSON, eq(REQUEST_ID_ATTRIBUTE, requestId));
    const entries = await adOp(`find account of ${requestId}`, () =>
      this.conn.search(this.options.vendorOu, { scope: 'sub', filter, attributes: ACCOUNT_ATTRIBUTES }),
    );
    if (entries.length > 1) this.options.logger?.warn('several accounts record one request', { requestId, dns: entries.map((e) => e.dn) });
    return entries[0] ? toDirectoryAccount(entries[0], this.now()) : null;
  }

  async getAccount(dn: string): Promise<DirectoryAccount | null> {
    const entry = await this.readEntry(dn, PERSON, ACCOUNT_ATTRIBUTES);
    return entry ? toDirectoryAccount(entry, this.now()) : null;
  }

  /** One add; only a clash reads (lookUpUsername has looked for the request's account before). */
  async createAccount(spec: AccountSpec): Promise<DirectoryAccount> {
    assertSamAccountName(spec.username);
    const dn = childDn('CN', spec.username, this.options.vendorOu);
    try {
      await this.conn.add(dn, accountAttributes(spec, this.upnSuffix), `create account ${spec.username}`);
    } catch (err) {
      // A concurrent or earlier try of the same request may have won; anyone else's entry is a conflict.
      const mine = ldapResultCode(err) === 68 || ldapResultCode(err) === 19 ? await this.findAccount(spec.requestId) : null;
      if (mine) return mine;
      throw toAdDirectoryError(err, `create account ${spec.username}`);
    }
    // As written: created disabled, accountExpires at validTo, in no group yet.
    return { username: spec.username, dn, requestId: spec.requestId, enabled: false, expiresAt: spec.validTo, groups: [] };
  }

  async setPassword(dn: string, password: string): Promise<void> {
    if (!this.conn.encrypted) throw new DirectoryError('AD accepts passwords only over LDAPS or StartTLS', false);
    // unicodePwd: the password in double quotes, UTF-16LE, as a Buffer (DIRECTORY.md).
    const value = Buffer.from(`"${password}"`, 'utf16le');
    const change = new Change({ operation: 'replace', modification: new Attribute({ type: 'unicodePwd', values: [value] }) });
    await adOp(`set password of ${dn}`, () => this.conn.modify(dn, change, `set password of ${dn}`));
  }

  async addToGroups(dn: string, groupDns: string[]): Promise<void> {
    await Promise.all(groupDns.map((group) => this.members.change('add', group, 'member', dn)));
  }

  /**
   * Removes the account from each group, then confirms from its memberOf.
   * A group that is the account's primary group (primaryGroupID, invisible in
   * `member`) is first replaced as primary by Domain Users.
   */
  async removeFromGroups(dn: string, groupDns: string[]): Promise<void> {
    if (groupDns.length === 0) return;
    const account = await this.readEntry(dn, PERSON, ['primaryGroupID']);
    if (!account) return;
    await this.stripGroups(dn, groupDns, account);
  }

  /** removeFromGroups on an account already read (with primaryGroupID). */
  private async stripGroups(dn: string, groupDns: string[], account: Entry): Promise<void> {
    const primaryRid = Number(attrValue(account, 'primaryGroupID') ?? DOMAIN_USERS_RID);
    if (primaryRid !== DOMAIN_USERS_RID) {
      const sid = await this.domainSid();
      const primary = await this.privilege.groupBySid(`${sid}-${primaryRid}`);
      if (primary && groupDns.some((g) => sameDn(g, primary.dn))) await this.resetPrimaryGroup(dn, sid);
    }
    await Promise.all(groupDns.map((group) => this.members.change('delete', group, 'member', dn)));
    const after = await this.readEntry(dn, PERSON, ['memberOf']);
    const left = after ? attrValues(after, 'memberOf').filter((g) => groupDns.some((r) => sameDn(r, g))) : [];
    if (left.length) throw new DirectoryError(`account ${dn} is still a member of ${left.join('; ')}`, true);
  }

  async enableAccount(dn: string, validTo: Date, options: { mustChangePassword?: boolean } = {}): Promise<void> {
    const uac = await this.currentUac(dn);
    if (uac === undefined) throw new DirectoryError(`account ${dn} does not exist`, false, 32);
    const enabled = (uac & ~UAC.ACCOUNTDISABLE) | UAC.NORMAL_ACCOUNT;
    // pwdLastSet 0: "user must change password at next logon" (a bind with the password answers 49 / data 773); -1: set now.
    const mark = options.mustChangePassword === undefined ? [] : [replace('pwdLastSet', options.mustChangePassword ? '0' : '-1')];
    await this.writeUacAndExpiry(dn, enabled, validTo, `enable ${dn}`, mark);
  }

  /** Sets ACCOUNTDISABLE and accountExpires = now; an account that is gone counts as disabled. */
  async disableAccount(dn: string): Promise<void> {
    const uac = await this.currentUac(dn);
    if (uac === undefined) return;
    await this.writeUacAndExpiry(dn, uac | UAC.ACCOUNTDISABLE, this.now(), `disable ${dn}`);
  }

  /** One read (groups, state, primary group); the scramble, the lock and the removals; then memberOf confirms. */
  async revokeAccount(dn: string, scramble: string): Promise<string[] | null> {
    const account = await this.readEntry(dn, PERSON, ['memberOf', 'userAccountControl', 'primaryGroupID']);
    if (!account) return null;
    const groups = attrValues(account, 'memberOf');
    await Promise.all([
      this.setPassword(dn, scramble).then(() => this.writeUacAndExpiry(dn, uacOf(account) | UAC.ACCOUNTDISABLE, this.now(), `disable ${dn}`)),
      groups.length ? this.stripGroups(dn, groups, account) : undefined,
    ]);
    return groups;
  }

  async deleteAccount(dn: string): Promise<void> {
    try {
      await this.conn.del(dn, `delete ${dn}`);
    } catch (err) {
      if (ldapResultCode(err) === 32) return;
      throw toAdDirectoryError(err, `delete ${dn}`);
    }
  }

  /**
   * memberOf, state and expiry come with the listing; so does primaryGroupID,
   * whose group (when not Domain Users) is looked up once per distinct RID
   * per listing, so that reconciliation can judge it without reading the
   * account again.
   */
  async *listVendorAccounts(): AsyncIterable<DirectoryAccount> {
    const search = { scope: 'sub' as const, filter: PERSON, attributes: [...ACCOUNT_ATTRIBUTES, 'primaryGroupID'] };
    // The service account, if someone put it in the vendor OU, is no vendor account: reconciling it would lock the service out.
    const self = await this.serviceDn();
    const primaryGroups = new Map<number, Promise<string | undefined>>();
    const primaryGroup = (rid: number): Promise<string | undefined> => {
      let dn = primaryGroups.get(rid);
      if (!dn) primaryGroups.set(rid, (dn = this.domainSid().then(async (sid) => (await this.privilege.groupBySid(`${sid}-${rid}`))?.dn)));
      return dn;
    };
    for await (const page of this.conn.searchPaged(this.options.vendorOu, search, this.options.pageSize ?? 500, 'list vendor accounts'))
      for (const entry of page) {
        if (self && sameDn(entry.dn, self)) continue;
        const account = toDirectoryAccount(entry, this.now());
        const rid = Number(attrValue(entry, 'primaryGroupID'));
        const primary = Number.isInteger(rid) && rid !== DOMAIN_USERS_RID ? await primaryGroup(rid) : undefined;
        yield primary ? { ...account, primaryGroup: primary } : account;
      }
  }

  privilegedGroupsOf(groupDns: string[]): Promise<Map<string, string>> {
    return this.privilege.privilegedGroupsOf(groupDns);
  }

  async privilegedMembershipsOf(accountDn: string): Promise<PrivilegedMembership[]> {
    const account = await this.readEntry(accountDn, PERSON, ['memberOf', 'primaryGroupID']);
    if (!account) return [];
    const primary = Number(attrValue(account, 'primaryGroupID'));
    return this.privilege.privilegedMembershipsOf(account.dn, {
      memberOf: attrValues(account, 'memberOf'),
      ...(Number.isInteger(primary) ? { primaryGroupId: primary } : {}),
    });
  }

  close(): Promise<void> {
    return this.conn.close();
  }

  /** The service account's DN (LDAP_BIND_DN may be a UPN or DOMAIN\name), resolved once. */
  private serviceDn(): Promise<string | undefined> {
    this.serviceDnPromise ??= adOp('find the service account', () => resolveServiceAccountDn(this.conn, this.conn.bindName, this.options.baseDn));
    this.serviceDnPromise.catch(() => (this.serviceDnPromise = undefined));
    return this.serviceDnPromise;
  }

  /** The domain's SID, read once from the naming context's objectSid. */
  private domainSid(): Promise<string> {
    this.domainSidPromise ??= (async () => {
      const entry = await this.readEntry(this.options.baseDn, undefined, ['objectSid'], ['objectSid']);
      const raw = entry?.objectSid;
      const sid = Buffer.isBuffer(raw) ? decodeSid(raw) : undefined;
      if (!sid) throw new DirectoryError(`${this.options.baseDn} has no objectSid: is it an AD domain's naming context?`, false);
      return sid;
    })();
    this.domainSidPromise.catch(() => (this.domainSidPromise = undefined));
    return this.domainSidPromise;
  }

  /** Makes Domain Users the primary group again; AD requires membership of a group before it becomes primary. */
  private async resetPrimaryGroup(dn: string, domainSid: string): Promise<void> {
    const domainUsers = await this.privilege.groupBySid(`${domainSid}-${DOMAIN_USERS_RID}`);
    if (!domainUsers) throw new DirectoryError('Domain Users not found by SID', false);
    await addMember(this.conn, domainUsers.dn, dn);
    const change = new Change({ operation: 'replace', modification: new Attribute({ type: 'primaryGroupID', values: [String(DOMAIN_USERS_RID)] }) });
    await adOp(`reset primary group of ${dn}`, () => this.conn.modify(dn, change));
    this.options.logger?.warn('vendor account had a privileged primary group; reset to Domain Users', { dn });
  }

  private async currentUac(dn: string): Promise<number | undefined> {
    const entry = await this.readEntry(dn, PERSON, ['userAccountControl']);
    return entry ? uacOf(entry) : undefined;
  }

  /** One modify, so the account never sits enabled with a stale expiry (or the reverse). */
  private async writeUacAndExpiry(dn: string, uac: number, expires: Date, what: string, more: Change[] = []): Promise<void> {
    const changes = [replace('userAccountControl', String(uac)), replace('accountExpires', toFileTime(expires)), ...more];
    await adOp(what, () => this.conn.modify(dn, changes, what));
  }

  /** A base read; null when the entry is absent, malformed as a DN, or does not match `filter`. */
  private async readEntry(dn: string, filter: Filter | undefined, attributes: string[], explicitBufferAttributes: string[] = []): Promise<Entry | null> {
    try {
      const [entry] = await this.conn.search(dn, { scope: 'base', filter: filter ?? '(objectClass=*)', attributes, explicitBufferAttributes }, `read ${dn}`);
      return entry ?? null;
    } catch (err) {
      if (isMissing(err)) return null;
      throw toAdDirectoryError(err, `read ${dn}`);
    }
  }
}

function replace(type: string, value: string): Change {
  return new Change({ operation: 'replace', modification: new Attribute({ type, values: [value] }) });
}
