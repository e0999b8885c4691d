import type { BenchContext } from './bench-context.js';
import { makeAccounts, seedDirectory, seedStore } from './bench-accounts.js';
import type { DirectoryInfo } from '../dev/directory-info.js';
import { makeScenarioTree } from './bench.rig.js';
import { serviceSetup, spawnService, statusCounts, storeView, workerConcurrency } from './bench-service.js';
import { round, sleepUntil, summarize, waitFor, type LatencySummary } from './bench-stats.js';
import { CpuMeter, cpuMsPer, type CpuUse } from './cpu-meter.js';
import { RawLanes, rawDirectoryFor } from './raw-directory.js';
import { recordedLags } from './revocation-single.scenario.js';

export interface MassRevocationResult {
  accounts: number;
  concurrency: number;
  /** The faster raw pass. */
  rawSeconds: number;
  /** Raw seconds by number of connections (WORKER_CONCURRENCY and 4×). */
  rawSecondsByLanes: Record<string, number>;
  serviceSeconds: number;
  ratio: number;
  rawOps: string;
  /** lagMs the service recorded per account (validTo → directory confirmed), over the whole wave. */
  serviceRecorded: LatencySummary;
  /** How long the service took to start: its catch-up queues the expiry alarm of the accounts' validTo (one 100 ms slot: one job). */
  serviceStartSeconds: number;
  cores: { raw: Record<string, number>; service: Record<string, number> };
  cpuMsPerAccount: { raw: number; service: number };
}

const DAY_MS = 86_400_000;
const GROUPS = 8;
/** Time for the worker to start and for its catch-up to queue the expiry alarm, before the common validTo. */
const leadMs = (count: number): number => 5000 + 6 * count;

/**
 * (c) Mass expiry: `count` active accounts, all with the same validTo.
 * Raw: the revoke writes the adapter makes (password scramble, lock +
 * expiry, group member removal) by ldapts, once on WORKER_CONCURRENCY
 * connections and once on 4× as many (the service's revocation
 * concurrency); the faster pass is the time the directory needs. Service
 * (`node dist/main.js all`, the expiry alarm queued by its start-up
 * catch-up): from validTo until every request is expired in the store. Each
 * pass has its own accounts, OU and equally sized groups.
 */
export async function massRevocationScenario(ctx: BenchContext, o: { server: DirectoryInfo; count: number; tag: string }): Promise<MassRevocationResult> {
  const { server, count: n } = o;
  const raw = rawDirectoryFor(server);
  const svcTree = await makeScenarioTree(server, `${o.tag}-mass-svc`, GROUPS);
  const setup = serviceSetup(ctx, { name: `${o.tag}-mass`, server, vendorOu: svcTree.vendorOu });
  const concurrency = workerConcurrency(setup);
  const later = new Date(Date.now() + 7 * DAY_MS);
  const passes = await Promise.all(
    [concurrency, concurrency * 4].map(async (lanes) => {
      const tree = await makeScenarioTree(server, `${o.tag}-mass-raw${lanes}`, GROUPS);
      return {
        lanes,
        accounts: makeAccounts({ tag: `${o.tag}mr${lanes}`, count: n, server, vendorOu: tree.vendorOu, groups: tree.groups, validTo: () => later }),
      };
    }),
  );
  const svcAccounts = makeAccounts({ tag: `${o.tag}ms`, count: n, server, vendorOu: svcTree.vendorOu, groups: svcTree.groups, validTo: () => later });

  const seeding = await RawLanes.open(server, concurrency);
  try {
    await seedDirectory(server, raw, seeding, [...passes.flatMap((p) => p.accounts), ...svcAccounts]);
  } finally {
    await seeding.close();
  }
  const rawPasses: { lanes: number; seconds: number; cpu: CpuUse }[] = [];
  for (const pass of passes) {
    const lanes = await RawLanes.open(server, pass.lanes);
    const meter = new CpuMeter(ctx.pids);
    try {
      meter.begin();
      const seconds = await lanes.run(pass.accounts, (client, a) => raw.revoke(client, a));
      rawPasses.push({ lanes: pass.lanes, seconds, cpu: meter.end() });
    } finally {
      await lanes.close();
    }
  }
  const best = rawPasses.reduce((a, b) => (b.seconds < a.seconds ? b : a));
  const rawSeconds = best.seconds;
  const rawCpu = best.cpu;

  // Everything expires at one instant, a little after the worker has started.
  const validTo = new Date(Date.now() + leadMs(n));
  for (const a of svcAccounts) a.validTo = validTo;
  const view = storeView(ctx.redisUrl, setup.keys);
  let service: Awaited<ReturnType<typeof spawnService>> | undefined;
  try {
    await seedStore(view.redis, view.store, svcAccounts);
    const starting = performance.now();
    service = await spawnService(setup, 'all', { mainJs: ctx.mainJs, name: `${o.tag}-mass`, profileDir: ctx.profileDir });
    const serviceStartSeconds = (performance.now() - starting) / 1000;
    if (Date.now() > validTo.getTime() - 500)
      throw new Error(`the service took ${serviceStartSeconds.toFixed(1)} s to start, past the common validTo; raise leadMs`);
    const meter = new CpuMeter({ ...ctx.pids, service: service.pid });
    await sleepUntil(validTo.getTime());
    meter.begin();
    await waitFor(`${n} expired`, async () => (await statusCounts(view.redis, setup.keys, ['expired']))[0]! >= n, 20 * 60_000, 50);
    const serviceSeconds = (Date.now() - validTo.getTime()) / 1000;
    const serviceCpu = meter.end();
    const recorded = await recordedLags(view.redis, setup.keys.auditEvents());
    return {
      accounts: n,
      concurrency,
      rawSeconds: round(rawSeconds, 2),
      rawSecondsByLanes: Object.fromEntries(rawPasses.map((p) => [String(p.lanes), round(p.seconds, 2)])),
      serviceSeconds: round(serviceSeconds, 2),
      ratio: round(serviceSeconds / rawSeconds, 3),
      rawOps: raw.revokeOps,
      serviceRecorded: summarize(recorded),
      serviceStartSeconds: round(serviceStartSeconds, 2),
      cores: { raw: rawCpu.cores, service: serviceCpu.cores },
      cpuMsPerAccount: { raw: cpuMsPer(rawCpu, 'service', n), service: cpuMsPer(serviceCpu, 'bench', n) },
    };
  } finally {
    await view.close();
    await service?.stop();
  }
}
