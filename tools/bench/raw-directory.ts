import { Attribute, Change, Client } from 'ldapts';
import { accountAttributes as adAccountAttributes, realmOf, UAC } from '../../src/provisioner/ad/ad-account-entry.js';
import { toFileTime } from '../../src/provisioner/ad/ad-time.js';
import type { AccountSpec } from '../../src/domain/ports/directory.port.js';
import { toGeneralizedTime } from '../../src/provisioner/ldap/ldap-entry.js';
import { encodePasswordModifyRequest, PASSWORD_MODIFY_OID } from '../../src/provisioner/ldap/password-modify.js';
import {
  accountAttributes as openLdapAccountAttributes,
  LOCKED_FOR_GOOD,
  shadowExpireFor,
  shadowExpireNow,
  uidNumberCandidate,
} from '../../src/provisioner/openldap/openldap-account-entry.js';
import { generatePassword } from '../../src/provisioner/generate-password.js';
import type { BenchAccount } from './bench-accounts.js';
import type { DirectoryInfo } from '../dev/directory-info.js';
import { managerClient } from './bench.rig.js';
import { inLanes } from './bench-stats.js';

/**
 * The directory writes the service makes, done with bare ldapts: no store, no
 * queue, no reads. Each dialect copies its adapter (openldap.directory.ts,
 * ad.directory.ts) write for write, so that a ratio against the service
 * measures what the service adds on top of the directory's own cost.
 */
export interface RawDirectory {
  /** What provision() sends, for the report. */
  readonly provisionOps: string;
  readonly revokeOps: string;
  /** Create (disabled), set a fresh password, add to the group, enable with validTo as the directory's expiry. */
  provision(client: Client, account: BenchAccount): Promise<void>;
  /** Scramble the password, disable (lock + expiry now), remove from the group. */
  revoke(client: Client, account: BenchAccount): Promise<void>;
  /** An enabled account with a password, not yet in its group (fixtures; group members are added in bulk). */
  seedAttributes(account: BenchAccount): Attribute[];
  /** The group attribute that lists members. */
  readonly memberAttribute: string;
}

function replace(type: string, ...values: (string | Buffer)[]): Change {
  return new Change({ operation: 'replace', modification: new Attribute({ type, values: values as string[] }) });
}
function attributes(record: Record<string, string[] | Buffer[]>): Attribute[] {
  return Object.entries(record).map(([type, values]) => new Attribute({ type, values }));
}
function member(operation: 'add' | 'delete', dn: string): Change {
  return new Change({ operation, modification: new Attribute({ type: 'member', values: [dn] }) });
}

/** The spec the service would derive for a bench account (same field lengths). */
function specOf(a: BenchAccount): AccountSpec {
  return {
    requestId: a.requestId,
    username: a.username,
    givenName: a.username,
    surname: 'Bench',
    displayName: `${a.username} Bench (Bench Co)`,
    email: `${a.username}@bench.test`,
    description: `Leasehold vendor account for request ${a.requestId}`,
    validTo: a.validTo,
  };
}

/** OpenLDAP with ppolicy: as OpenLdapDirectory.createAccount/setPassword/addToGroups/enableAccount and disableAccount/removeFromGroups. */
function rawOpenLdap(vendorGid = 200_000): RawDirectory {
  return {
    provisionOps: 'add (locked) + Password Modify + group member add + modify (unlock, pwdEndTime, shadowExpire)',
    revokeOps: 'Password Modify + modify (lock, pwdEndTime, shadowExpire) + group member delete',
    memberAttribute: 'member',
    async provision(client, a) {
      await client.add(a.dn, openLdapAccountAttributes(specOf(a), uidNumberCandidate(a.username, 0), vendorGid, new Date()));
      await client.exop(PASSWORD_MODIFY_OID, encodePasswordModifyRequest(a.dn, generatePassword()));
      await client.modify(a.group, member('add', a.dn));
      await client.modify(a.dn, [
        replace('pwdAccountLockedTime'),
        replace('pwdEndTime', toGeneralizedTime(a.validTo)),
        replace('shadowExpire', String(shadowExpireFor(a.validTo))),
      ]);
    },
    async revoke(client, a) {
      const now = new Date();
      await client.exop(PASSWORD_MODIFY_OID, encodePasswordModifyRequest(a.dn, generatePassword()));
      await client.modify(a.dn, [
        replace('pwdAccountLockedTime', LOCKED_FOR_GOOD),
        replace('pwdEndTime', toGeneralizedTime(now)),
        replace('shadowExpire', String(shadowExpireNow(now))),
      ]);
      await client.modify(a.group, member('delete', a.dn));
    },
    seedAttributes(a) {
      const attrs: Record<string, string[]> = openLdapAccountAttributes(specOf(a), uidNumberCandidate(a.username, 0), vendorGid, new Date());
      delete attrs.pwdAccountLockedTime;
      return attributes({
        ...attrs,
        pwdEndTime: [toGeneralizedTime(a.validTo)],
        shadowExpire: [String(shadowExpireFor(a.validTo))],
        userPassword: [generatePassword()],
      });
    },
  };
}

const unicodePwd = (password: string): Buffer => Buffer.from(`"${password}"`, 'utf16le');

/** Active Directory / Samba: as AdDirectory's writes (unicodePwd, userAccountControl + accountExpires, member). */
function rawActiveDirectory(baseDn: string): RawDirectory {
  const upn = realmOf(baseDn);
  const enabledUac = String(UAC.NORMAL_ACCOUNT);
  return {
    provisionOps: 'add (disabled) + unicodePwd + group member add + modify (userAccountControl, accountExpires)',
    revokeOps: 'unicodePwd + modify (userAccountControl, accountExpires) + group member delete',
    memberAttribute: 'member',
    async provision(client, a) {
      await client.add(a.dn, adAccountAttributes(specOf(a), upn));
      await client.modify(a.dn, replace('unicodePwd', unicodePwd(generatePassword())));
      await client.modify(a.group, member('add', a.dn));
      await client.modify(a.dn, [replace('userAccountControl', enabledUac), replace('accountExpires', toFileTime(a.validTo))]);
    },
    async revoke(client, a) {
      await client.modify(a.dn, replace('unicodePwd', unicodePwd(generatePassword())));
      await client.modify(a.dn, [
        replace('userAccountControl', String(UAC.NORMAL_ACCOUNT | UAC.ACCOUNTDISABLE)),
        replace('accountExpires', toFileTime(new Date())),
      ]);
      await client.modify(a.group, member('delete', a.dn));
    },
    seedAttributes(a) {
      return attributes({ ...adAccountAttributes(specOf(a), upn), userAccountControl: [enabledUac], unicodePwd: [unicodePwd(generatePassword())] });
    },
  };
}

export function rawDirectoryFor(server: DirectoryInfo): RawDirectory {
  return server.dialect === 'ad' ? rawActiveDirectory(server.baseDn) : rawOpenLdap();
}

/** `n` bound manager connections, one per lane, as the service's pool would hold at that concurrency. */
export class RawLanes {
  private constructor(readonly clients: Client[]) {}

  static async open(server: DirectoryInfo, n: number): Promise<RawLanes> {
    return new RawLanes(await Promise.all(Array.from({ length: n }, () => managerClient(server))));
  }

  /** Runs `work` over `items`, one lane per connection; resolves with the elapsed seconds. */
  async run<T>(items: readonly T[], work: (client: Client, item: T) => Promise<void>): Promise<number> {
    const started = performance.now();
    await inLanes(items, this.clients.length, (item, lane) => work(this.clients[lane]!, item));
    return (performance.now() - started) / 1000;
  }

  async close(): Promise<void> {
    await Promise.all(this.clients.map((c) => c.unbind().catch(() => undefined)));
  }
}
