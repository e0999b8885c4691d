import type { BenchContext } from './bench-context.js';
import { makeAccounts, seedDirectory, seedStore } from './bench-accounts.js';
import type { DirectoryInfo } from '../dev/directory-info.js';
import { makeScenarioTree } from './bench.rig.js';
import { serviceSetup, spawnService, storeView, workerConcurrency } from './bench-service.js';
import { sleepUntil, summarize, type LatencySummary } from './bench-stats.js';
import { RawLanes, rawDirectoryFor } from './raw-directory.js';

export interface SingleRevocationResult extends LatencySummary {
  expiries: number;
  spacingMs: number;
  /** lagMs the service itself recorded in each account.disabled audit event (validTo → directory confirmed). */
  serviceRecorded: LatencySummary;
}

/** Time for the worker to start (and its catch-up to queue the expiry alarms) before the first validTo. */
const LEAD_MS = 8000;

/**
 * (b) Single-account revocation lag. `count` active accounts (seeded in the
 * directory and the store as provisioning leaves them) expire one at a time,
 * `spacingMs` apart, so no two revocations overlap. The service runs as
 * `node dist/main.js all` and queues each expiry from its start-up catch-up,
 * as after any restart. Lag is measured by the bench from validTo until the
 * request's status flips to expired (the service records that only after the
 * directory confirms the account disabled), polled every 5 ms; the service's
 * own lagMs from the audit trail is reported beside it.
 */
export async function singleRevocationScenario(
  ctx: BenchContext,
  o: { server: DirectoryInfo; count: number; spacingMs: number; tag: string },
): Promise<SingleRevocationResult> {
  const { server } = o;
  const tree = await makeScenarioTree(server, `${o.tag}-single`, 2);
  const setup = serviceSetup(ctx, { name: `${o.tag}-single`, server, vendorOu: tree.vendorOu });
  const first = Date.now() + LEAD_MS;
  const accounts = makeAccounts({
    tag: `${o.tag}s`,
    count: o.count,
    server,
    vendorOu: tree.vendorOu,
    groups: tree.groups,
    validTo: (i) => new Date(first + i * o.spacingMs),
  });
  const lanes = await RawLanes.open(server, workerConcurrency(setup));
  try {
    await seedDirectory(server, rawDirectoryFor(server), lanes, accounts);
  } finally {
    await lanes.close();
  }
  const view = storeView(ctx.redisUrl, setup.keys);
  let service: Awaited<ReturnType<typeof spawnService>> | undefined;
  try {
    await seedStore(view.redis, view.store, accounts);
    service = await spawnService(setup, 'all', { mainJs: ctx.mainJs, name: `${o.tag}-single`, profileDir: ctx.profileDir });
    if (Date.now() > first - 500) throw new Error(`the service took too long to start (${Date.now() - first + LEAD_MS} ms); raise LEAD_MS`);
    const lags = new Map<string, number>();
    let next = 0;
    const deadline = accounts.at(-1)!.validTo.getTime() + 60_000;
    while (lags.size < accounts.length) {
      if (Date.now() > deadline) throw new Error(`${accounts.length - lags.size} expiries not recorded within 60 s:\n${service.output().slice(-3000)}`);
      const due = accounts.filter((a) => !lags.has(a.requestId) && a.validTo.getTime() <= Date.now());
      if (due.length === 0) {
        // Sleep until the next validTo, not in a poll loop that would compete with the service for CPU.
        while (next < accounts.length && lags.has(accounts[next]!.requestId)) next++;
        await sleepUntil(accounts[next]!.validTo.getTime());
        continue;
      }
      const raws = await view.redis.mget(due.map((a) => setup.keys.request(a.requestId)));
      const seenAt = Date.now();
      due.forEach((a, i) => {
        const status = raws[i] ? (JSON.parse(raws[i]) as { status: string }).status : undefined;
        if (status === 'expired') lags.set(a.requestId, seenAt - a.validTo.getTime());
      });
      await new Promise((r) => setTimeout(r, 5));
    }
    const recorded = await recordedLags(view.redis, setup.keys.auditEvents());
    return { expiries: accounts.length, spacingMs: o.spacingMs, ...summarize([...lags.values()]), serviceRecorded: summarize(recorded) };
  } finally {
    await view.close();
    await service?.stop();
  }
}

/** The lagMs of every account.disabled event in a trail. */
export async function recordedLags(redis: { lrange(key: string, from: number, to: number): Promise<string[]> }, key: string): Promise<number[]> {
  const lags: number[] = [];
  for (const line of await redis.lrange(key, 0, -1)) {
    const event = JSON.parse(line) as { action: string; details?: { lagMs?: number } };
    if (event.action === 'account.disabled' && typeof event.details?.lagMs === 'number') lags.push(event.details.lagMs);
  }
  return lags;
}
