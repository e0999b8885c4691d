import type { Redis } from 'ioredis';
import { newId } from '../../src/domain/ids.js';
import type { AccessRequest, Person, Vendor } from '../../src/domain/types.js';
import { childDn } from '../../src/provisioner/ldap/escape.js';
import type { Stored } from '../../src/domain/ports/domain-store.port.js';
import type { RedisRecordStore } from '../../src/store/redis-record.store.js';
import type { DirectoryInfo } from '../dev/directory-info.js';
import { addMembers, managerClient } from './bench.rig.js';
import { chunks } from './bench-stats.js';
import type { RawDirectory, RawLanes } from './raw-directory.js';

/** One vendor account of a scenario: its request, entry and group. */
export interface BenchAccount {
  requestId: string;
  username: string;
  dn: string;
  group: string;
  validTo: Date;
}

/**
 * `count` accounts named `<tag>-<i>` in `vendorOu`, spread round-robin over
 * `groups`, expiring at `validTo(i)`.
 */
export function makeAccounts(o: {
  tag: string;
  count: number;
  server: DirectoryInfo;
  vendorOu: string;
  groups: string[];
  validTo: (i: number) => Date;
}): BenchAccount[] {
  const rdnType = o.server.dialect === 'ad' ? 'CN' : 'uid';
  return Array.from({ length: o.count }, (_, i) => {
    const username = `${o.tag}-${i}`;
    return { requestId: newId('req'), username, dn: childDn(rdnType, username, o.vendorOu), group: o.groups[i % o.groups.length]!, validTo: o.validTo(i) };
  });
}

/**
 * Creates the accounts in the directory as the service leaves them once
 * active (enabled, password set, expiry = validTo, in their group). Fixture
 * set-up, not measured: adds on the lanes, group members in bulk.
 */
export async function seedDirectory(server: DirectoryInfo, raw: RawDirectory, lanes: RawLanes, accounts: BenchAccount[]): Promise<void> {
  await lanes.run(accounts, (client, a) => client.add(a.dn, raw.seedAttributes(a)));
  const byGroup = new Map<string, string[]>();
  for (const a of accounts) byGroup.set(a.group, [...(byGroup.get(a.group) ?? []), a.dn]);
  const client = await managerClient(server);
  try {
    for (const [group, members] of byGroup) await addMembers(client, group, members, raw.memberAttribute);
  } finally {
    await client.unbind().catch(() => undefined);
  }
}

/**
 * Writes the request records of active accounts straight into the store (one
 * vendor, one person per account), with every index the service keeps, as
 * if each had been filed, approved and provisioned. No audit events: these
 * are fixtures, and nothing reads the trail for them.
 */
export async function seedStore(redis: Redis, store: RedisRecordStore, accounts: BenchAccount[]): Promise<void> {
  const at = new Date(Date.now() - 60_000).toISOString();
  const contractEndsAt = new Date(Date.now() + 365 * 86_400_000).toISOString();
  let n = (await redis.incrby(store.keys.sequence('records'), 1 + 2 * accounts.length)) - 2 * accounts.length;
  const vendor: Stored<Vendor> = {
    id: newId('ven'),
    n,
    name: 'Bench Co',
    contractRef: 'BENCH-1',
    contractEndsAt,
    status: 'active',
    createdAt: at,
    createdBy: 'bench',
  };
  const first = redis.pipeline();
  store.putVendor(first, vendor, true);
  await first.exec();
  for (const part of chunks(accounts, 500)) {
    const p = redis.pipeline();
    for (const a of part) {
      const person: Stored<Person> = {
        id: newId('per'),
        n: ++n,
        vendorId: vendor.id,
        fullName: `${a.username} Bench`,
        email: `${a.username}@bench.test`,
        ndaSignedAt: at,
        ndaRef: 'NDA-BENCH',
        status: 'active',
        createdAt: at,
        createdBy: 'bench',
      };
      store.putPerson(p, person, true);
      const request: Stored<AccessRequest> = {
        id: a.requestId,
        n: ++n,
        personId: person.id,
        vendorId: vendor.id,
        requester: 'requester',
        workDescription: 'benchmark fixture',
        targetSystems: ['bench'],
        groups: [a.group],
        validFrom: at,
        validTo: a.validTo.toISOString(),
        status: 'active',
        createdAt: at,
        updatedAt: at,
        approval: { by: 'approver', at },
        credential: 'none',
        attempt: 1,
        account: { username: a.username, dn: a.dn, state: 'active', createdAt: at, enabledAt: at },
        history: [
          { at, actor: 'requester', action: 'filed', to: 'pending' },
          { at, actor: 'approver', action: 'status.approved', from: 'pending', to: 'approved' },
          { at, actor: 'worker', action: 'status.provisioning', from: 'approved', to: 'provisioning' },
          { at, actor: 'worker', action: 'status.active', from: 'provisioning', to: 'active' },
        ],
      };
      store.putRequest(p, request, null);
      p.hset(store.keys.usernames(), a.username.toLowerCase(), a.requestId);
    }
    const replies = await p.exec();
    const failed = replies?.find(([err]) => err);
    if (failed) throw failed[0] as Error;
  }
}
