import { setTimeout as sleep } from 'node:timers/promises';
import type { BenchContext } from './bench-context.js';
import { makeAccounts, seedDirectory, seedStore } from './bench-accounts.js';
import type { DirectoryInfo } from '../dev/directory-info.js';
import { makeScenarioTree } from './bench.rig.js';
import { serviceSetup, spawnService, storeView, workerConcurrency, type ServiceSetup } from './bench-service.js';
import { round } from './bench-stats.js';
import { rssMb } from './cpu-meter.js';
import { RawLanes, rawDirectoryFor } from './raw-directory.js';

export interface MemoryResult {
  accounts: number;
  /** Peak RSS of an idle worker (empty store) over the sampling window. */
  workerRssMbIdle: number;
  /** Peak RSS of a worker with `accounts` active accounts (start-up catch-up, sweeps, a reconciliation pass) over the window. */
  workerRssMbAt10k: number;
  /** RSS at the end of that window. */
  workerRssMbAt10kEnd: number;
  /** Lowest RSS of the loaded worker in the window (between reconciliation passes, after garbage collection). */
  workerRssMbAt10kLow: number;
  windowSeconds: number;
  /** How long the loaded worker took to start (its catch-up queues an expiry alarm per 100 ms slot of the active requests' validTo). */
  startSeconds: number;
}

const DAY_MS = 86_400_000;

/**
 * (e) Worker memory: RSS of `node dist/main.js worker` (its own process),
 * first with an empty store, then — a fresh worker — with `count` active
 * accounts. The accounts are written straight into the directory and the
 * store (as provisioning leaves them): provisioning 10,000 through the
 * service would take minutes here and measures nothing new. Reconciliation
 * runs every 10 s, so the window covers the work a loaded worker does
 * periodically (sweep, reconcile over every vendor account) as well as its
 * start-up catch-up.
 */
export async function memoryScenario(
  ctx: BenchContext,
  o: { server: DirectoryInfo; count: number; windowSeconds: number; tag: string },
): Promise<MemoryResult> {
  const { server } = o;
  const tree = await makeScenarioTree(server, `${o.tag}-mem`, 4);
  const setup = serviceSetup(ctx, { name: `${o.tag}-memory`, server, vendorOu: tree.vendorOu, policy: { reconcileIntervalSeconds: 10 } });
  const idle = await sampleWorker(ctx, setup, `${o.tag}-memory-idle`, o.windowSeconds);

  const accounts = makeAccounts({
    tag: `${o.tag}m`,
    count: o.count,
    server,
    vendorOu: tree.vendorOu,
    groups: tree.groups,
    validTo: () => new Date(Date.now() + 7 * DAY_MS),
  });
  const lanes = await RawLanes.open(server, workerConcurrency(setup));
  try {
    await seedDirectory(server, rawDirectoryFor(server), lanes, accounts);
  } finally {
    await lanes.close();
  }
  const view = storeView(ctx.redisUrl, setup.keys);
  try {
    await seedStore(view.redis, view.store, accounts);
  } finally {
    await view.close();
  }
  const loaded = await sampleWorker(ctx, setup, `${o.tag}-memory-loaded`, o.windowSeconds);
  return {
    accounts: o.count,
    workerRssMbIdle: round(idle.peak),
    workerRssMbAt10k: round(loaded.peak),
    workerRssMbAt10kEnd: round(loaded.last),
    workerRssMbAt10kLow: round(loaded.low),
    windowSeconds: o.windowSeconds,
    startSeconds: round(loaded.startSeconds, 2),
  };
}

/** Starts a worker, samples its RSS every 250 ms for the window, and stops it. */
async function sampleWorker(
  ctx: BenchContext,
  setup: ServiceSetup,
  name: string,
  windowSeconds: number,
): Promise<{ peak: number; last: number; low: number; startSeconds: number }> {
  const started = performance.now();
  const worker = await spawnService(setup, 'worker', { mainJs: ctx.mainJs, name, profileDir: ctx.profileDir });
  const startSeconds = (performance.now() - started) / 1000;
  try {
    const samples: number[] = [];
    const until = performance.now() + windowSeconds * 1000;
    while (performance.now() < until) {
      samples.push(rssMb(worker.pid));
      await sleep(250);
    }
    const valid = samples.filter((x) => Number.isFinite(x));
    if (valid.length === 0) throw new Error(`worker ${name} exited:\n${worker.output().slice(-3000)}`);
    return { peak: Math.max(...valid), last: valid.at(-1)!, low: Math.min(...valid), startSeconds };
  } finally {
    await worker.stop();
  }
}
