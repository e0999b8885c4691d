import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Attribute, Change, Client } from 'ldapts';
import { startRedis, type RedisRig } from '../dev/redis.rig.js';
import type { DirectoryInfo } from '../dev/directory-info.js';
import { sambaInfo, startSamba, type SambaInfo, type SambaRig } from '../dev/samba.rig.js';
import { slapdInfo, startSlapd, type SlapdInfo, type SlapdRig } from '../dev/slapd.rig.js';
import { childDn } from '../../src/provisioner/ldap/escape.js';

/** A DN any group may hold as a placeholder member (groupOfNames needs one): a seeded person, or the Administrator. */
function placeholderMember(server: DirectoryInfo): string {
  return server.dialect === 'ad' ? server.bindDn : childDn('uid', 'bob', server.peopleOu);
}

/** The servers the bench starts, and how to stop them. */
export interface BenchRig {
  dir: string;
  redis: RedisRig;
  slapd: SlapdRig;
  openldap: SlapdInfo;
  samba?: SambaRig;
  ad?: SambaInfo;
  stop(): Promise<void>;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/**
 * Starts a Redis (AOF on, as production requires) and a slapd in a fresh temp
 * dir on free loopback ports; with `ad`, also joins or starts the machine's
 * Samba AD DC. Whatever started is stopped again if a later start fails.
 */
export async function startBenchRig(options: { ad: boolean }): Promise<BenchRig> {
  const dir = await mkdtemp(join(tmpdir(), 'leasehold-bench-'));
  const stops: (() => Promise<void>)[] = [];
  const stop = async (): Promise<void> => {
    for (const s of stops.reverse()) await s().catch((err: unknown) => console.error('bench teardown:', err));
    await rm(dir, { recursive: true, force: true });
  };
  try {
    await Promise.all([mkdir(join(dir, 'redis')), mkdir(join(dir, 'slapd'))]);
    const [redisPort, ldapPort, ldapsPort] = [await freePort(), await freePort(), await freePort()];
    const [redis, slapd, samba] = await Promise.allSettled([
      startRedis({ port: redisPort, dir: join(dir, 'redis'), appendOnly: true }),
      startSlapd({ dir: join(dir, 'slapd'), ldapPort, ldapsPort }),
      options.ad ? startSamba() : Promise.resolve(undefined),
    ]);
    for (const started of [redis, slapd, samba]) if (started.status === 'fulfilled' && started.value) stops.push(() => started.value!.stop());
    for (const started of [redis, slapd, samba]) if (started.status === 'rejected') throw started.reason;
    if (redis.status !== 'fulfilled' || slapd.status !== 'fulfilled' || samba.status !== 'fulfilled') throw new Error('unreachable');
    const s = slapd.value;
    const dc = samba.value;
    return { dir, redis: redis.value, slapd: s, openldap: slapdInfo(s), ...(dc ? { samba: dc, ad: sambaInfo(dc) } : {}), stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** A bound ldapts client as the server's manager, over the same verified TLS the service uses. */
export async function managerClient(server: DirectoryInfo): Promise<Client> {
  const client = new Client({ url: server.ldapsUrl, timeout: 30_000, connectTimeout: 10_000, tlsOptions: { ca: server.caPem, rejectUnauthorized: true } });
  await client.bind(server.bindDn, server.bindPassword);
  return client;
}

/**
 * Makes a scenario's own vendor OU and groups (ordinary, non-privileged
 * names) so that scenarios never see each other's entries and group sizes
 * match between the service run and the raw run.
 */
export async function makeScenarioTree(server: DirectoryInfo, name: string, groupCount: number): Promise<{ vendorOu: string; groups: string[] }> {
  const client = await managerClient(server);
  try {
    const vendorOu = childDn('OU', name, server.vendorsOu);
    await client.add(vendorOu, { objectClass: ['top', 'organizationalUnit'], ou: [name] });
    const groups: string[] = [];
    for (let i = 0; i < groupCount; i++) {
      const cn = `${name}-app-${i}`;
      const dn = childDn('CN', cn, server.groupsOu);
      const attributes: Record<string, string[]> =
        server.dialect === 'ad'
          ? { objectClass: ['top', 'group'], cn: [cn], sAMAccountName: [cn] }
          : { objectClass: ['groupOfNames'], cn: [cn], member: [placeholderMember(server)] };
      await client.add(dn, attributes);
      groups.push(dn);
    }
    return { vendorOu, groups };
  } finally {
    await client.unbind().catch(() => undefined);
  }
}

/** Adds members to a group in chunks (one modify per chunk): fixture set-up, not measured. */
export async function addMembers(client: Client, groupDn: string, members: string[], attribute = 'member'): Promise<void> {
  for (let i = 0; i < members.length; i += 500) {
    const values = members.slice(i, i + 500);
    await client.modify(groupDn, new Change({ operation: 'add', modification: new Attribute({ type: attribute, values }) }));
  }
}
