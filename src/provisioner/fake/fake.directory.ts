import { DirectoryError } from '../../errors.js';
import {
  byGroupName,
  type AccountSpec,
  type DirectoryAccount,
  type DirectoryGroup,
  type DirectoryPort,
  type PrivilegedMembership,
  type UsernameLookup,
} from '../../domain/ports/directory.port.js';
import { childDn, normalizeDn } from '../ldap/escape.js';
import { isBuiltinPrivileged, nameFromDn, namingValues, privilegeResolver, PrivilegedGroupPolicy, type GroupFacts } from '../privileged-groups.js';

export interface FakeDirectoryOptions {
  /** Default `ou=vendors,dc=fake,dc=test`. */
  vendorOu?: string;
  /** Policy `privilegedGroups` (DNs, names, /regex/), as for OpenLDAP. */
  privilegedGroups?: readonly string[];
  /** The clock expiry is judged by (a fake clock in unit tests). */
  now?: () => Date;
}

interface FakeAccount {
  dn: string;
  username: string;
  requestId?: string;
  password?: string;
  /** The first logon must change the password (enableAccount with mustChangePassword). */
  mustChange?: boolean;
  locked: boolean;
  expiresAt?: Date;
  spec?: AccountSpec;
}

interface FakeGroup extends GroupFacts {
  /** Marked privileged by the test, like AD's well-known SIDs. */
  privileged: boolean;
  /** Normalised DNs of members (accounts or groups). */
  members: Set<string>;
}

/** A hand-made account for reconciliation tests (no request behind it unless given). */
export interface HandMadeAccount {
  username: string;
  dn?: string;
  requestId?: string;
  password?: string;
  enabled?: boolean;
  expiresAt?: Date;
  groups?: string[];
}

/**
 * In-memory DirectoryPort for unit tests, held to the same contract suite as
 * the real adapters (test/contract/directory.contract.ts). Semantics follow
 * OpenLDAP: created locked, enabled = not locked and expiry ahead, the same
 * built-in privileged names plus groups marked privileged and policy entries.
 * Test hooks: addGroup, nestGroup, addAccountByHand, membersOf, canBind, failNext.
 */
export class FakeDirectory implements DirectoryPort {
  readonly vendorOu: string;
  private readonly accounts = new Map<string, FakeAccount>();
  private readonly groups = new Map<string, FakeGroup>();
  private readonly policy: PrivilegedGroupPolicy;
  private readonly now: () => Date;
  private failures: { remaining: number; retryable: boolean; ldapCode: number } = { remaining: 0, retryable: true, ldapCode: 52 };

  constructor(options: FakeDirectoryOptions = {}) {
    this.vendorOu = options.vendorOu ?? 'ou=vendors,dc=fake,dc=test';
    this.policy = new PrivilegedGroupPolicy(options.privilegedGroups ?? []);
    this.now = options.now ?? (() => new Date());
  }

  // ---- test hooks ----

  /**
   * Creates a group (idempotent) and returns its DN. `privileged` marks it as a
   * built-in privileged group; `names` are further naming values (a
   * multi-valued cn), as a real directory would hold them.
   */
  addGroup(dn: string, options: { gidNumber?: number; privileged?: boolean; names?: string[] } = {}): string {
    const key = normalizeDn(dn);
    if (!this.groups.has(key))
      this.groups.set(key, {
        dn,
        name: options.names?.[0] ?? nameFromDn(dn),
        names: [nameFromDn(dn), ...(options.names ?? [])],
        ...(options.gidNumber !== undefined ? { gidNumber: options.gidNumber } : {}),
        privileged: options.privileged ?? false,
        members: new Set(),
      });
    return dn;
  }

  /** Makes group `childDn` a member of group `parentDn` (both created if absent). */
  nestGroup(childDn: string, parentDn: string): void {
    this.addGroup(childDn);
    this.group(this.addGroup(parentDn))!.members.add(normalizeDn(childDn));
  }

  /** Adds an account as an administrator would by hand; returns its DN. */
  addAccountByHand(account: HandMadeAccount): string {
    const dn = account.dn ?? childDn('uid', account.username, this.vendorOu);
    this.accounts.set(normalizeDn(dn), {
      dn,
      username: account.username,
      locked: !(account.enabled ?? true),
      ...(account.requestId !== undefined ? { requestId: account.requestId } : {}),
      ...(account.password !== undefined ? { password: account.password } : {}),
      ...(account.expiresAt ? { expiresAt: account.expiresAt } : {}),
    });
    for (const g of account.groups ?? []) this.group(this.addGroup(g))!.members.add(normalizeDn(dn));
    return dn;
  }

  /** DNs listed directly by a group (accounts and groups), as given; [] for no such group. */
  membersOf(groupDn: string): string[] {
    const group = this.group(groupDn);
    if (!group) return [];
    return [...group.members].map((key) => this.accounts.get(key)?.dn ?? this.groups.get(key)?.dn ?? key);
  }

  /**
   * Whether the fake would accept a bind as `dn` with `password`: what a test
   * asks a real directory with a bind of its own (test/support/directory-probe.ts).
   * Not on the port. Fails during failNext like any operation, as a bind would in an outage.
   */
  async canBind(dn: string, password: string): Promise<boolean> {
    await this.op('canBind');
    const account = this.accounts.get(normalizeDn(dn));
    return !!account && password !== '' && account.password === password && this.enabled(account);
  }

  /** The next `count` directory operations fail as an outage (52, retryable) or with a permanent code. */
  failNext(count: number, retryable = true, ldapCode = retryable ? 52 : 50): void {
    this.failures = { remaining: count, retryable, ldapCode };
  }

  // ---- DirectoryPort ----

  async ping(): Promise<void> {
    await this.op('ping');
  }

  async missingGroups(groupDns: string[]): Promise<string[]> {
    await this.op('missingGroups');
    return groupDns.filter((dn) => !this.group(dn));
  }

  async searchGroups(text: string, limit: number): Promise<DirectoryGroup[]> {
    await this.op('searchGroups');
    const needle = text.toLowerCase();
    return [...this.groups.values()]
      .filter((g) => namingValues(g).some((name) => name.toLowerCase().includes(needle)))
      .map((g) => ({ dn: g.dn, name: g.name }))
      .sort(byGroupName)
      .slice(0, limit);
  }

  async lookUpUsername(requestId: string, username: string): Promise<UsernameLookup> {
    await this.op('lookUpUsername');
    const all = [...this.accounts.values()];
    const mine = all.find((a) => a.requestId === requestId && this.inVendorOu(a.dn));
    if (mine) return { existing: mine.username, taken: false };
    return { taken: all.some((a) => a.username.toLowerCase() === username.toLowerCase()) };
  }

  async findAccount(requestId: string): Promise<DirectoryAccount | null> {
    await this.op('findAccount');
    const found = [...this.accounts.values()].find((a) => a.requestId === requestId && this.inVendorOu(a.dn));
    return found ? this.view(found) : null;
  }

  async getAccount(dn: string): Promise<DirectoryAccount | null> {
    await this.op('getAccount');
    const found = this.accounts.get(normalizeDn(dn));
    return found ? this.view(found) : null;
  }

  async createAccount(spec: AccountSpec): Promise<DirectoryAccount> {
    await this.op('createAccount');
    const dn = childDn('uid', spec.username, this.vendorOu);
    const existing = this.accounts.get(normalizeDn(dn));
    if (existing) {
      if (existing.requestId !== spec.requestId) throw new DirectoryError(`username ${spec.username} is taken by an entry of another request`, false, 68);
      return this.view(existing);
    }
    const account: FakeAccount = { dn, username: spec.username, requestId: spec.requestId, locked: true, expiresAt: spec.validTo, spec: { ...spec } };
    this.accounts.set(normalizeDn(dn), account);
    return this.view(account);
  }

  async setPassword(dn: string, password: string): Promise<void> {
    await this.op('setPassword');
    const account = this.existing(dn);
    account.password = password;
    account.mustChange = false;
  }

  /** Whether the account's first logon must change its password, as a test would read it from a real directory. Not on the port. */
  mustChangePassword(dn: string): boolean {
    return this.accounts.get(normalizeDn(dn))?.mustChange ?? false;
  }

  async addToGroups(dn: string, groupDns: string[]): Promise<void> {
    await this.op('addToGroups');
    this.existing(dn);
    for (const g of groupDns) {
      const group = this.group(g);
      if (!group) throw new DirectoryError(`${g} is not a group`, false, 32);
      group.members.add(normalizeDn(dn));
    }
  }

  async removeFromGroups(dn: string, groupDns: string[]): Promise<void> {
    await this.op('removeFromGroups');
    for (const g of groupDns) this.group(g)?.members.delete(normalizeDn(dn));
  }

  async enableAccount(dn: string, validTo: Date, options: { mustChangePassword?: boolean } = {}): Promise<void> {
    await this.op('enableAccount');
    const account = this.existing(dn);
    account.locked = false;
    account.expiresAt = validTo;
    if (options.mustChangePassword !== undefined) account.mustChange = options.mustChangePassword;
  }

  async disableAccount(dn: string): Promise<void> {
    await this.op('disableAccount');
    const account = this.accounts.get(normalizeDn(dn));
    if (!account) return;
    account.locked = true;
    account.expiresAt = this.now();
  }

  async revokeAccount(dn: string, scramble: string): Promise<string[] | null> {
    await this.op('revokeAccount');
    const key = normalizeDn(dn);
    const account = this.accounts.get(key);
    if (!account) return null;
    account.password = scramble;
    account.locked = true;
    account.expiresAt = this.now();
    const removed = [...this.groups.values()].filter((g) => g.members.delete(key)).map((g) => g.dn);
    return removed;
  }

  async deleteAccount(dn: string): Promise<void> {
    await this.op('deleteAccount');
    const key = normalizeDn(dn);
    this.accounts.delete(key);
    for (const g of this.groups.values()) g.members.delete(key);
  }

  async *listVendorAccounts(): AsyncIterable<DirectoryAccount> {
    await this.op('listVendorAccounts');
    for (const account of [...this.accounts.values()]) if (this.inVendorOu(account.dn)) yield this.view(account);
  }

  async privilegedGroupsOf(groupDns: string[]): Promise<Map<string, string>> {
    await this.op('privilegedGroupsOf');
    const resolve = this.resolver();
    const result = new Map<string, string>();
    for (const dn of groupDns) {
      const group = this.group(dn);
      const hit = group && (await resolve(group));
      if (hit) result.set(dn, hit.dn);
    }
    return result;
  }

  async privilegedMembershipsOf(accountDn: string): Promise<PrivilegedMembership[]> {
    await this.op('privilegedMembershipsOf');
    const resolve = this.resolver();
    const out: PrivilegedMembership[] = [];
    for (const group of this.parentsOf(accountDn)) {
      const hit = await resolve(group);
      if (hit) out.push({ group: group.dn, privileged: hit.dn });
    }
    return out;
  }

  async close(): Promise<void> {}

  // ---- internals ----

  private async op(name: string): Promise<void> {
    await Promise.resolve();
    if (this.failures.remaining <= 0) return;
    this.failures.remaining--;
    const { retryable, ldapCode } = this.failures;
    throw new DirectoryError(`${name}: simulated directory failure`, retryable, ldapCode);
  }

  private group(dn: string): FakeGroup | undefined {
    return this.groups.get(normalizeDn(dn));
  }

  private existing(dn: string): FakeAccount {
    const account = this.accounts.get(normalizeDn(dn));
    if (!account) throw new DirectoryError(`no such account: ${dn}`, false, 32);
    return account;
  }

  private inVendorOu(dn: string): boolean {
    return normalizeDn(dn).endsWith(`,${normalizeDn(this.vendorOu)}`);
  }

  private enabled(account: FakeAccount): boolean {
    return !account.locked && (!account.expiresAt || account.expiresAt.getTime() > this.now().getTime());
  }

  private parentsOf(dn: string): FakeGroup[] {
    const key = normalizeDn(dn);
    return [...this.groups.values()].filter((g) => g.members.has(key));
  }

  private resolver(): (start: GroupFacts) => Promise<GroupFacts | undefined> {
    return privilegeResolver(
      (g) => (this.group(g.dn)?.privileged ?? false) || isBuiltinPrivileged(g) || this.policy.matches(g),
      (dn) => Promise.resolve(this.parentsOf(dn)),
    );
  }

  private view(account: FakeAccount): DirectoryAccount {
    return {
      username: account.username,
      dn: account.dn,
      ...(account.requestId !== undefined ? { requestId: account.requestId } : {}),
      enabled: this.enabled(account),
      ...(account.expiresAt ? { expiresAt: new Date(account.expiresAt) } : {}),
      groups: this.parentsOf(account.dn).map((g) => g.dn),
    };
  }
}
