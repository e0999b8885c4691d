import { join } from 'node:path';
import type { BenchContext } from './bench-context.js';
import { makeAccounts, seedDirectory, seedStore } from './bench-accounts.js';
import { makeScenarioTree, type DirectoryServer } from './bench-rig.js';
import { serviceSetup, spawnService, statusCounts, storeView, workerConcurrency } from './bench-service.js';
import { round, sleepUntil, summarize, waitFor, type LatencySummary } from './bench-stats.js';
import { CpuMeter, cpuMsPer } from './cpu-meter.js';
import { RawLanes, rawDirectoryFor } from './raw-directory.js';
import { recordedLags } from './revocation-single.scenario.js';

export interface MassRevocationResult {
  accounts: number;
  concurrency: number;
  rawSeconds: number;
  serviceSeconds: number;
  ratio: number;
  rawOps: string;
  /** lagMs the service recorded per account (validTo → directory confirmed), over the whole wave. */
  serviceRecorded: LatencySummary;
  /** How long the service took to start: its catch-up queues one delayed revocation per active request. */
  serviceStartSeconds: number;
  cores: { raw: Record<string, number>; service: Record<string, number> };
  cpuMsPerAccount: { raw: number; service: number };
}

const DAY_MS = 86_400_000;
const GROUPS = 8;
/** Time for the worker to start and for its catch-up to queue every delayed revocation, before the common validTo. */
const leadMs = (count: number): number => 5000 + 6 * count;

/**
 * (c) Mass expiry: `count` active accounts, all with the same validTo.
 * Raw: the revoke writes the adapter makes (password scramble, lock +
 * expiry, group member removal) by ldapts on WORKER_CONCURRENCY connections.
 * Service (`node dist/main.js all`, delayed revoke jobs queued by its start-up
 * catch-up): from validTo until every request is expired in the store. Each
 * side has its own accounts, OU and equally sized groups.
 */
export async function massRevocationScenario(ctx: BenchContext, o: { server: DirectoryServer; count: number; tag: string }): Promise<MassRevocationResult> {
  const { server, count: n } = o;
  const raw = rawDirectoryFor(server);
  const svcTree = await makeScenarioTree(server, `${o.tag}-mass-svc`, GROUPS);
  const rawTree = await makeScenarioTree(server, `${o.tag}-mass-raw`, GROUPS);
  const setup = serviceSetup({ dir: join(ctx.dir, `${o.tag}-mass`), redisUrl: ctx.redisUrl, server, vendorOu: svcTree.vendorOu, prefix: `bench-${o.tag}-mass` });
  const concurrency = workerConcurrency(setup);
  const later = new Date(Date.now() + 7 * DAY_MS);
  const rawAccounts = makeAccounts({ tag: `${o.tag}mr`, count: n, server, vendorOu: rawTree.vendorOu, groups: rawTree.groups, validTo: () => later });
  const svcAccounts = makeAccounts({ tag: `${o.tag}ms`, count: n, server, vendorOu: svcTree.vendorOu, groups: svcTree.groups, validTo: () => later });

  const lanes = await RawLanes.open(server, concurrency);
  const rawMeter = new CpuMeter(ctx.pids);
  let rawSeconds: number;
  try {
    await seedDirectory(server, raw, lanes, [...rawAccounts, ...svcAccounts]);
    rawMeter.begin();
    rawSeconds = await lanes.run(rawAccounts, (client, a) => raw.revoke(client, a));
  } finally {
    await lanes.close();
  }
  const rawCpu = rawMeter.end();

  // Everything expires at one instant, a little after the worker has started.
  const validTo = new Date(Date.now() + leadMs(n));
  for (const a of svcAccounts) a.validTo = validTo;
  const view = storeView(ctx.redisUrl, setup.keys);
  let service: Awaited<ReturnType<typeof spawnService>> | undefined;
  let serviceStartSeconds = 0;
  try {
    await seedStore(view.redis, view.store, svcAccounts);
    const starting = performance.now();
    service = await spawnService(setup, 'all', { mainJs: ctx.mainJs, name: `${o.tag}-mass`, profileDir: ctx.profileDir });
    serviceStartSeconds = (performance.now() - starting) / 1000;
    if (Date.now() > validTo.getTime() - 500) throw new Error(`the service took ${serviceStartSeconds.toFixed(1)} s to start, past the common validTo; raise leadMs`);
    const meter = new CpuMeter({ ...ctx.pids, service: service.pid });
    await sleepUntil(validTo.getTime());
    meter.begin();
    await waitFor(`${n} expired`, async () => (await statusCounts(view.redis, setup.keys, ['expired']))[0]! >= n, 20 * 60_000, 50);
    const serviceSeconds = (Date.now() - validTo.getTime()) / 1000;
    const serviceCpu = meter.end();
    const recorded = await recordedLags(view.redis, setup.keys.auditEvents());
    return {
      accounts: n, concurrency, rawSeconds: round(rawSeconds, 2), serviceSeconds: round(serviceSeconds, 2), ratio: round(serviceSeconds / rawSeconds, 3),
      rawOps: raw.revokeOps, serviceRecorded: summarize(recorded), serviceStartSeconds: round(serviceStartSeconds, 2),
      cores: { raw: rawCpu.cores, service: serviceCpu.cores },
      cpuMsPerAccount: { raw: cpuMsPer(rawCpu, ['bench', 'slapd', 'redis'], n), service: cpuMsPer(serviceCpu, ['service', 'slapd', 'redis'], n) },
    };
  } finally {
    await view.close();
    await service?.stop();
  }
}
