/**
 * What the service needs from a directory, in the language of the domain,
 * and nothing more. Adapters: OpenLdapDirectory and AdDirectory (ldapts;
 * src/provisioner/openldap/, src/provisioner/ad/) and FakeDirectory
 * (src/provisioner/fake/, for unit tests). One contract suite
 * (test/contract/directory.contract.ts) proves them all alike. Whether an
 * account can bind is not the service's question: tests ask the directory
 * itself (test/support/directory-probe.ts), or the fake.
 *
 * Every mutating method is idempotent: calling it again after a partial or
 * complete earlier call finishes the work and never duplicates it. Failures
 * are thrown as DirectoryError with `retryable` set.
 */
export interface AccountSpec {
  /** The request this account exists for; recorded on the entry so that a retry finds it. */
  requestId: string;
  /** Login name (uid / sAMAccountName); already unique-checked and within the dialect's limits. */
  username: string;
  givenName: string;
  surname: string;
  displayName: string;
  email: string;
  /** Free text naming the request, stored on the entry. */
  description: string;
  /** End of validity; set as the directory's own expiry (shadowExpire/pwdEndTime, accountExpires). */
  validTo: Date;
}

export interface DirectoryAccount {
  username: string;
  dn: string;
  /** The request id recorded on the entry, if any (none for accounts made by hand). */
  requestId?: string;
  /** True when the directory would accept a bind with the right password. */
  enabled: boolean;
  /** The directory's own expiry, if set. */
  expiresAt?: Date;
  /** DNs of the groups that list the account directly. */
  groups: string[];
  /**
   * AD: the account's primary group (primaryGroupID) when it is not Domain
   * Users. No group lists it in `member`, so it is not in `groups`, yet the
   * account holds its rights. Set by listVendorAccounts (reconciliation
   * judges its privilege with the direct groups); other reads leave it out.
   */
  primaryGroup?: string;
}

/** What lookUpUsername found. */
export interface UsernameLookup {
  /** The username of the account already made for the request, if there is one. */
  existing?: string;
  /** Whether another entry holds the username. */
  taken: boolean;
}

export interface PrivilegedMembership {
  /** The group that lists the account directly. */
  group: string;
  /** The privileged group it is or leads to. */
  privileged: string;
}

/** A group as a look-up shows it. */
export interface DirectoryGroup {
  dn: string;
  /** The group's name (first cn value; the RDN value when it has none). */
  name: string;
}

/** Most groups a search reads before sorting; a look-up narrower than that is the caller's job. */
export const GROUP_SEARCH_CAP = 2000;

/** Orders groups by name, ignoring case, then by DN: every adapter sorts alike. */
export function byGroupName(a: DirectoryGroup, b: DirectoryGroup): number {
  const x = a.name.toLowerCase();
  const y = b.name.toLowerCase();
  return x < y ? -1 : x > y ? 1 : a.dn < b.dn ? -1 : a.dn > b.dn ? 1 : 0;
}

export interface DirectoryPort {
  /** Resolves when the directory answers an authenticated operation. */
  ping(): Promise<void>;

  /** Which of these group DNs do not exist (compared case-insensitively). */
  missingGroups(groupDns: string[]): Promise<string[]>;

  /**
   * Groups under the base DN whose name contains `text`: a case-insensitive
   * substring of any cn value (on AD also sAMAccountName), in any script;
   * `text` is never a pattern (`*` is a star). Empty `text` matches every
   * group. Sorted by byGroupName, at most `limit`. Says nothing about
   * privilege: ask privilegedGroupsOf for the verdict.
   */
  searchGroups(text: string, limit: number): Promise<DirectoryGroup[]>;

  /**
   * The one look-up before an account is made (the adapters send its
   * searches at once): the username of the account already made for the
   * request (a retried job finds its own), and whether `username` is taken by
   * another entry anywhere in the directory's tree, where a second entry with
   * the same login name would make logins ambiguous. `username` is never a
   * pattern.
   */
  lookUpUsername(requestId: string, username: string): Promise<UsernameLookup>;

  /** The account made for a request, if it exists. */
  findAccount(requestId: string): Promise<DirectoryAccount | null>;

  /** The account with this DN, if it exists. */
  getAccount(dn: string): Promise<DirectoryAccount | null>;

  /**
   * Creates the account disabled (or returns the existing one made for the
   * same request under the same username). Never creates a second entry for
   * one request and username; lookUpUsername, asked first, finds an account
   * the request has under another name.
   */
  createAccount(spec: AccountSpec): Promise<DirectoryAccount>;

  /**
   * Sets the password (only over an encrypted connection on AD). Whether the
   * first logon must change it is left as the directory's own policy sets it;
   * enableAccount decides that for a new account.
   */
  setPassword(dn: string, password: string): Promise<void>;

  /** Adds the account to each group; already a member counts as done. */
  addToGroups(dn: string, groupDns: string[]): Promise<void>;

  /** Removes the account from the given groups; not a member counts as done. */
  removeFromGroups(dn: string, groupDns: string[]): Promise<void>;

  /**
   * Enables the account with the directory's own expiry at validTo. With
   * `mustChangePassword` the first logon must change the password set before
   * (AD `pwdLastSet=0`, OpenLDAP `pwdReset: TRUE`), written in the same
   * modify; with `false` that mark is cleared; without it, left as it is.
   */
  enableAccount(dn: string, validTo: Date, options?: { mustChangePassword?: boolean }): Promise<void>;

  /**
   * Disables the account so that binds fail in the directory itself
   * (ppolicy lock / userAccountControl), and sets its expiry to now.
   */
  disableAccount(dn: string): Promise<void>;

  /**
   * Revocation in the directory: scrambles the password to `scramble`,
   * disables the account (as disableAccount) and removes it from every group
   * that lists it directly. Returns the groups it was removed from, or null
   * when no account has this DN (nothing to revoke). Each write is confirmed
   * by the directory's answer; a refused one throws. Idempotent.
   */
  revokeAccount(dn: string, scramble: string): Promise<string[] | null>;

  /** Deletes the entry; absent counts as done. */
  deleteAccount(dn: string): Promise<void>;

  /**
   * Every account entry in the vendor container, with its state, expiry and
   * direct groups (and on AD primaryGroup), from a paged listing: a number of
   * directory reads that grows with the pages, never one read per account
   * (reconciliation walks it every interval).
   */
  listVendorAccounts(): AsyncIterable<DirectoryAccount>;

  /**
   * Privilege resolution (clause 1.6.1). For each given group DN that is
   * privileged — one of the dialect's built-in privileged groups (AD: by SID),
   * one named by policy, or nested at any depth inside one (cycles are
   * handled) — maps it to the privileged group it leads to. Groups that are
   * not privileged are absent from the result.
   */
  privilegedGroupsOf(groupDns: string[]): Promise<Map<string, string>>;

  /**
   * The account's direct memberships that make it privileged: each direct
   * group that is (or is nested in) a privileged group, with that group.
   * One account's reads: a pass over many accounts asks privilegedGroupsOf
   * once per distinct group instead.
   */
  privilegedMembershipsOf(accountDn: string): Promise<PrivilegedMembership[]>;

  close(): Promise<void>;
}
