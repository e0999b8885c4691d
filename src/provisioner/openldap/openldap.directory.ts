import { Attribute, Change, type Entry } from 'ldapts';
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
import { childDn, firstRdnValue, normalizeDn } from '../ldap/escape.js';
import type { LdapConnection } from '../ldap/ldap-connection.js';
import { attrValue, attrValues, toGeneralizedTime } from '../ldap/ldap-entry.js';
import { ldapResultCode } from '../ldap/ldap-errors.js';
import { and, contains, eq, or } from '../ldap/ldap-filters.js';
import { isBuiltinPrivileged, privilegeResolver, PrivilegedGroupPolicy, type GroupFacts } from '../privileged-groups.js';
import {
  ACCOUNT_ATTRIBUTES,
  accountAttributes,
  LOCKED_FOR_GOOD,
  shadowExpireFor,
  shadowExpireNow,
  toDirectoryAccount,
  uidNumberCandidate,
} from './openldap-account-entry.js';
import { GROUP_ATTRIBUTES, groupFilter, listedIn, OpenLdapGroupWriter, toGroupFacts } from './openldap-group-writer.js';

export interface OpenLdapDirectoryOptions {
  connection: LdapConnection;
  /** The container vendor accounts live in (LDAP_VENDOR_OU). */
  vendorOu: string;
  /** Where groups are searched (LDAP_BASE_DN). */
  baseDn: string;
  /** Policy `privilegedGroups`: DNs, bare names (cn) or /regex/ patterns, on top of the built-in set. */
  privilegedGroups: readonly string[];
  /** Primary gidNumber of vendor accounts. Default 200000. */
  vendorGid?: number;
  logger?: Logger;
  now?: () => Date;
}

const accountFilter = or(eq('objectClass', 'posixAccount'), eq('objectClass', 'person'));
const UID_ATTEMPTS = 8;

/**
 * DirectoryPort for OpenLDAP with the ppolicy overlay (DIRECTORY.md, OpenLDAP).
 * Accounts are `uid=<username>,<vendorOu>` (inetOrgPerson, posixAccount,
 * shadowAccount) carrying the request id in `employeeNumber`. The directory
 * itself enforces validity through ppolicy: `pwdEndTime` ends binds at
 * validTo, and a disabled account has `pwdEndTime` = the moment it was
 * disabled plus `pwdAccountLockedTime: 000001010000Z`. The lock alone is not
 * enough: ppolicy lifts it whenever the password is set (a revocation that
 * scrambles the password would reopen the account); the past pwdEndTime holds.
 */
export class OpenLdapDirectory implements DirectoryPort {
  private readonly connection: LdapConnection;
  private readonly groups: OpenLdapGroupWriter;
  private readonly policy: PrivilegedGroupPolicy;
  private readonly now: () => Date;
  private readonly logger: Logger | undefined;
  private readonly uidNumbers: FreshUidNumbers;

  constructor(private readonly options: OpenLdapDirectoryOptions) {
    this.logger = options.logger?.child({ component: 'openldap-directory' });
    this.connection = options.connection;
    this.groups = new OpenLdapGroupWriter(options.connection);
    this.policy = new PrivilegedGroupPolicy(options.privilegedGroups);
    this.now = options.now ?? (() => new Date());
    this.uidNumbers = new FreshUidNumbers(() => Date.now());
  }

  async ping(): Promise<void> {
    await this.connection.ping();
  }

  async missingGroups(groupDns: string[]): Promise<string[]> {
    const found = await Promise.all(groupDns.map((dn) => this.readGroup(dn)));
    return groupDns.filter((_, i) => !found[i]);
  }

  async searchGroups(text: string, limit: number): Promise<DirectoryGroup[]> {
    const found: DirectoryGroup[] = [];
    const pages = this.connection.searchPaged(
      this.options.baseDn,
      { scope: 'sub', filter: and(groupFilter, contains('cn', text)), attributes: ['cn'] },
      500,
      'search groups',
    );
    // Every page is read (abandoning a paged search mid-way leaves its cookie on the server); only the first CAP are kept.
    for await (const page of pages) for (const e of page) if (found.length < GROUP_SEARCH_CAP) found.push({ dn: e.dn, name: toGroupFacts(e).name });
    return found.sort(byGroupName).slice(0, limit);
  }

  /**
   * Two searches at once: the request's account in the vendor container (as
   * findAccount does), and the username and its first uidNumber candidate in
   * the whole tree (uid and uidNumber are indexed wherever posix accounts are
   * served). Kept apart because employeeNumber often has no index: in one OR
   * filter it would have slapd test every entry of the tree. What the second
   * learns of the uidNumber is kept for createAccount, which then needs no
   * search of its own unless the candidate is taken or the note has aged.
   */
  async lookUpUsername(requestId: string, username: string): Promise<UsernameLookup> {
    const uidNumber = String(uidNumberCandidate(username, 0));
    const [mine, hits] = await Promise.all([
      this.connection.search(
        this.options.vendorOu,
        { scope: 'sub', filter: and(accountFilter, eq('employeeNumber', requestId)), attributes: ['uid'] },
        `find account of request ${requestId}`,
      ),
      this.connection.search(
        this.options.baseDn,
        { scope: 'sub', filter: or(eq('uid', username), eq('uidNumber', uidNumber)), attributes: ['uid', 'uidNumber'] },
        `look up username ${username}`,
      ),
    ]);
    if (mine[0]) return { existing: attrValue(mine[0], 'uid') ?? firstRdnValue(mine[0].dn) ?? username, taken: false };
    const holdsNumber = (e: Entry) => attrValues(e, 'uidNumber').includes(uidNumber);
    // An entry the number does not explain matched the uid; one it does is compared as uid matches (case and spaces folded).
    const holdsUid = (e: Entry) => !holdsNumber(e) || attrValues(e, 'uid').some((u) => foldUid(u) === foldUid(username));
    const dn = normalizeDn(childDn('uid', username, this.options.vendorOu));
    this.uidNumbers.note(
      username,
      hits.every((e) => !holdsNumber(e) || normalizeDn(e.dn) === dn),
    );
    return { taken: hits.some(holdsUid) };
  }

  async findAccount(requestId: string): Promise<DirectoryAccount | null> {
    const hits = await this.connection.search(
      this.options.vendorOu,
      {
        scope: 'sub',
        filter: and(accountFilter, eq('employeeNumber', requestId)),
        attributes: ACCOUNT_ATTRIBUTES,
      },
      `find account of request ${requestId}`,
    );
    if (hits.length > 1) this.logger?.warn('several entries carry one request id', { requestId, count: hits.length });
    return hits[0] ? this.withGroups(hits[0]) : null;
  }

  async getAccount(dn: string): Promise<DirectoryAccount | null> {
    const entry = await this.readAccount(dn);
    return entry ? this.withGroups(entry) : null;
  }

  async createAccount(spec: AccountSpec): Promise<DirectoryAccount> {
    const dn = childDn('uid', spec.username, this.options.vendorOu);
    const uidNumber = await this.freeUidNumber(spec.username, dn);
    const now = this.now();
    try {
      await this.connection.add(dn, accountAttributes(spec, uidNumber, this.options.vendorGid ?? 200_000, now), `create account ${spec.username}`);
    } catch (err) {
      if (ldapResultCode(err) !== 68) throw err;
      // A retry of our own creation finds its entry; anyone else's entry is a permanent clash.
      const existing = await this.readAccount(dn);
      if (!existing || attrValue(existing, 'employeeNumber') !== spec.requestId)
        throw new DirectoryError(`username ${spec.username} is taken by an entry of another request`, false, 68, { cause: err });
      return this.withGroups(existing);
    }
    return { username: spec.username, dn, requestId: spec.requestId, enabled: false, expiresAt: now, groups: [] };
  }

  /**
   * ppolicy marks `pwdReset: TRUE` by itself after an administrator's change
   * when the policy has `pwdMustChange: TRUE` (and only then restricts a
   * session bound with that password to changing it); enableAccount sets or
   * removes the mark as provisioning says.
   */
  async setPassword(dn: string, password: string): Promise<void> {
    await this.connection.passwordModify(dn, password);
  }

  async addToGroups(dn: string, groupDns: string[]): Promise<void> {
    const uid = this.uidOf(dn);
    await Promise.all(groupDns.map((g) => this.groups.add(g, dn, uid)));
  }

  async removeFromGroups(dn: string, groupDns: string[]): Promise<void> {
    const uid = this.uidOf(dn);
    await Promise.all(groupDns.map((g) => this.groups.remove(g, dn, uid)));
  }

  async enableAccount(dn: string, validTo: Date, options: { mustChangePassword?: boolean } = {}): Promise<void> {
    const mark = options.mustChangePassword === undefined ? [] : [options.mustChangePassword ? replace('pwdReset', 'TRUE') : replace('pwdReset')];
    await this.connection.modify(
      dn,
      [
        replace('pwdAccountLockedTime'), // no values: removes the lock if present, no error if not
        replace('pwdEndTime', toGeneralizedTime(validTo)),
        replace('shadowExpire', String(shadowExpireFor(validTo))),
        ...mark,
      ],
      `enable ${dn}`,
    );
  }

  async disableAccount(dn: string): Promise<void> {
    const now = this.now();
    try {
      await this.connection.modify(
        dn,
        [
          replace('pwdAccountLockedTime', LOCKED_FOR_GOOD),
          replace('pwdEndTime', toGeneralizedTime(now)),
          replace('shadowExpire', String(shadowExpireNow(now))),
        ],
        `disable ${dn}`,
      );
    } catch (err) {
      // An entry that is gone cannot be bound to: revocation is done.
      if (ldapResultCode(err) !== 32) throw err;
      this.logger?.warn('account to disable does not exist', { dn });
    }
  }

  /**
   * Four operations, as a revocation by hand would take: the groups listing
   * the account (one search) alongside the scramble, then the lock alongside
   * the group removals (batched per group across concurrent revocations).
   * The scramble goes before the lock: ppolicy clears pwdAccountLockedTime
   * when an administrator sets a password. An entry that is gone answers the
   * scramble with noSuchObject: nothing to revoke.
   */
  async revokeAccount(dn: string, scramble: string): Promise<string[] | null> {
    const uid = firstRdnValue(dn);
    const [groups, exists] = await Promise.all([
      this.directGroups(dn, uid),
      this.connection.passwordModify(dn, scramble).then(
        () => true,
        (err: unknown) => {
          if (ldapResultCode(err) === 32) return false;
          throw err;
        },
      ),
    ]);
    if (!exists) return null;
    const removed = groups.map((g) => g.dn);
    await Promise.all([this.disableAccount(dn), this.removeFromGroups(dn, removed)]);
    return removed;
  }

  async deleteAccount(dn: string): Promise<void> {
    // Without refint on the server, group entries would keep a dangling member value.
    const entry = await this.readAccount(dn);
    if (!entry) return;
    const direct = await this.directGroups(entry.dn, attrValue(entry, 'uid'));
    await this.removeFromGroups(
      entry.dn,
      direct.map((g) => g.dn),
    );
    try {
      await this.connection.del(entry.dn, `delete ${dn}`);
    } catch (err) {
      if (ldapResultCode(err) !== 32) throw err;
    }
  }

  /**
   * One paged search of the vendor container; per page, one search for the
   * DNs of the groups that list any of its accounts (member, uniqueMember,
   * memberUid: the equality indexes README Operations asks for). Each such
   * group's members are read and normalised once per listing, not once per
   * page: a group holding thousands of vendor accounts would otherwise come
   * back whole with every page. A group the page search names but whose
   * remembered members include none of the page's accounts has gained one
   * since it was read, and is read again.
   */
  async *listVendorAccounts(): AsyncIterable<DirectoryAccount> {
    const pages = this.connection.searchPaged(
      this.options.vendorOu,
      { scope: 'sub', filter: accountFilter, attributes: ACCOUNT_ATTRIBUTES },
      500,
      'list vendor accounts',
    );
    const known = new Map<string, GroupMembers>();
    for await (const page of pages) {
      if (!page.length) continue;
      const accounts = page.map((entry) => ({ entry, key: normalizeDn(entry.dn), uid: attrValue(entry, 'uid') }));
      const listing = await this.connection.search(
        this.options.baseDn,
        { scope: 'sub', filter: and(groupFilter, or(...accounts.map((a) => listedIn(a.entry.dn, a.uid)))), attributes: ['1.1'] },
        'groups of vendor accounts',
      );
      const groups = await Promise.all(
        listing.map(async (g) => {
          const key = normalizeDn(g.dn);
          const remembered = known.get(key);
          if (remembered && accounts.some((a) => remembered.lists(a.key, a.uid))) return remembered;
          const fresh = await this.groupMembers(g.dn);
          if (fresh) known.set(key, fresh);
          return fresh;
        }),
      );
      const now = this.now();
      for (const a of accounts) {
        const mine = groups.filter((g): g is GroupMembers => !!g && g.lists(a.key, a.uid)).map((g) => g.dn);
        yield toDirectoryAccount(a.entry, mine, now);
      }
    }
  }

  async privilegedGroupsOf(groupDns: string[]): Promise<Map<string, string>> {
    const resolve = this.resolver();
    const result = new Map<string, string>();
    await Promise.all(
      groupDns.map(async (dn) => {
        const group = await this.readGroup(dn);
        const privileged = group && (await resolve(group));
        if (privileged) result.set(dn, privileged.dn);
      }),
    );
    return result;
  }

  async privilegedMembershipsOf(accountDn: string): Promise<PrivilegedMembership[]> {
    const entry = await this.readAccount(accountDn);
    if (!entry) return [];
    const resolve = this.resolver();
    const direct = await this.directGroups(entry.dn, attrValue(entry, 'uid'));
    const found = await Promise.all(direct.map(async (g) => ({ group: g.dn, privileged: (await resolve(g))?.dn })));
    return found.filter((m): m is PrivilegedMembership => m.privileged !== undefined);
  }

  async close(): Promise<void> {
    await this.connection.close();
  }

  /**
   * The first candidate uidNumber (see uidNumberCandidate) no other entry in
   * the tree uses. A clash with our own entry (a retried creation) keeps it.
   * The first candidate is not searched again when lookUpUsername just found
   * it free.
   */
  private async freeUidNumber(username: string, dn: string): Promise<number> {
    if (this.uidNumbers.take(username)) return uidNumberCandidate(username, 0);
    for (let attempt = 0; attempt < UID_ATTEMPTS; attempt++) {
      const candidate = uidNumberCandidate(username, attempt);
      const users = await this.connection.search(
        this.options.baseDn,
        {
          scope: 'sub',
          filter: eq('uidNumber', String(candidate)),
          attributes: ['1.1'],
          sizeLimit: 2,
        },
        `check uidNumber ${candidate}`,
      );
      if (users.every((u) => normalizeDn(u.dn) === normalizeDn(dn))) return candidate;
    }
    throw new DirectoryError(`no free uidNumber for ${username} after ${UID_ATTEMPTS} attempts`, false);
  }

  private async readAccount(dn: string): Promise<Entry | undefined> {
    return this.readBase(dn, accountFilter, ACCOUNT_ATTRIBUTES, `read account ${dn}`);
  }

  private async readGroup(dn: string): Promise<GroupFacts | undefined> {
    const entry = await this.readBase(dn, groupFilter, GROUP_ATTRIBUTES, `read group ${dn}`);
    return entry && toGroupFacts(entry);
  }

  /** A base-scope read; absent, of the wrong kind, or not even a valid DN → undefined. */
  private async readBase(dn: string, filter: typeof accountFilter, attributes: string[], what: string): Promise<Entry | undefined> {
    try {
      return (await this.connection.search(dn, { scope: 'base', filter, attributes }, what))[0];
    } catch (err) {
      const code = ldapResultCode(err);
      if (code === 32 || code === 34) return undefined;
      throw err;
    }
  }

  private async withGroups(entry: Entry): Promise<DirectoryAccount> {
    const groups = await this.directGroups(entry.dn, attrValue(entry, 'uid'));
    return toDirectoryAccount(
      entry,
      groups.map((g) => g.dn),
      this.now(),
    );
  }

  /** Groups listing the entry directly (member / uniqueMember DN, posixGroup memberUid). */
  private async directGroups(dn: string, uid?: string): Promise<GroupFacts[]> {
    const hits = await this.connection.search(
      this.options.baseDn,
      {
        scope: 'sub',
        filter: and(groupFilter, listedIn(dn, uid)),
        attributes: GROUP_ATTRIBUTES,
      },
      `groups of ${dn}`,
    );
    return hits.map(toGroupFacts);
  }

  /** A group's members (member and uniqueMember DNs, memberUid names), read once; undefined when it is gone. */
  private async groupMembers(dn: string): Promise<GroupMembers | undefined> {
    const entry = await this.readBase(dn, groupFilter, ['member', 'uniqueMember', 'memberUid'], `members of ${dn}`);
    if (!entry) return undefined;
    const dns = new Set([...attrValues(entry, 'member'), ...attrValues(entry, 'uniqueMember')].map(normalizeDn));
    const uids = new Set(attrValues(entry, 'memberUid'));
    return { dn: entry.dn, lists: (key, uid) => dns.has(key) || (uid !== undefined && uids.has(uid)) };
  }

  private resolver(): (start: GroupFacts) => Promise<GroupFacts | undefined> {
    return privilegeResolver(
      (g) => isBuiltinPrivileged(g) || this.policy.matches(g),
      (dn) => this.directGroups(dn),
    );
  }

  /** The account's uid (for posixGroup memberUid), read only when a posixGroup needs it. */
  private uidOf(dn: string): () => Promise<string> {
    let uid: Promise<string> | undefined;
    return () =>
      (uid ??= this.readAccount(dn).then((e) => {
        const value = (e && attrValue(e, 'uid')) ?? firstRdnValue(dn);
        if (!value) throw new DirectoryError(`account ${dn} has no uid`, false, 32);
        return value;
      }));
  }
}

function replace(type: string, ...values: string[]): Change {
  return new Change({ operation: 'replace', modification: new Attribute({ type, values }) });
}

/** A group's direct members, normalised once, as the listing matches accounts against them. */
interface GroupMembers {
  dn: string;
  lists(accountKey: string, uid: string | undefined): boolean;
}

/** uid compares case-insensitively, with leading, trailing and repeated spaces insignificant (caseIgnoreMatch). */
function foldUid(uid: string): string {
  return uid.trim().replace(/ +/g, ' ').toLowerCase();
}

/** How long lookUpUsername's finding that a username's first uidNumber candidate is free stands in for a search. */
const UID_NOTE_MS = 60_000;
/** Most notes kept: a burst of provisioning notes one per account and takes it a moment later. */
const UID_NOTES_MAX = 10_000;

/** Usernames whose first uidNumber candidate lookUpUsername found free, each taken once by createAccount. */
class FreshUidNumbers {
  private readonly notes = new Map<string, number>();

  constructor(private readonly clock: () => number) {}

  note(username: string, free: boolean): void {
    this.notes.delete(username);
    if (!free) return;
    if (this.notes.size >= UID_NOTES_MAX) this.notes.delete(this.notes.keys().next().value!);
    this.notes.set(username, this.clock());
  }

  /** Whether the first candidate was found free lately; the note is used up. */
  take(username: string): boolean {
    const at = this.notes.get(username);
    this.notes.delete(username);
    return at !== undefined && this.clock() - at < UID_NOTE_MS;
  }
}
