import type { BenchContext } from './bench-context.js';
import { makeAccounts } from './bench-accounts.js';
import type { DirectoryInfo } from '../dev/directory-info.js';
import { makeScenarioTree } from './bench.rig.js';
import { apiClient, redisCommandCalls, serviceSetup, spawnService, statusCounts, storeView, totalCalls, workerConcurrency } from './bench-service.js';
import { inLanes, round, waitFor } from './bench-stats.js';
import { CpuMeter, cpuMsPer } from './cpu-meter.js';
import { RawLanes, rawDirectoryFor } from './raw-directory.js';

export interface ProvisioningResult {
  accounts: number;
  concurrency: number;
  rawSeconds: number;
  serviceSeconds: number;
  /** Of serviceSeconds: until the last approval was answered. */
  approveSeconds: number;
  rawPerSec: number;
  servicePerSec: number;
  ratio: number;
  rawOps: string;
  /** Redis commands (all clients: API, worker, BullMQ) per provisioned account. */
  redisCallsPerAccount: number;
  /** The same by command (INFO commandstats, which counts the commands scripts run too), per account, most first. */
  redisCallsByCommand: Record<string, number>;
  /** Cores used by each process during each phase (raw: the bench process is the client). */
  cores: { raw: Record<string, number>; service: Record<string, number> };
  /** CPU milliseconds per account, all processes doing the work (client or service, slapd, redis). */
  cpuMsPerAccount: { raw: number; service: number };
}

const DAY_MS = 86_400_000;
const GROUPS = 4;

/**
 * (a) Provisioning throughput. Raw: the adapter's writes per account (create,
 * password, group add, enable) by ldapts on WORKER_CONCURRENCY connections.
 * Service (`node dist/main.js all`): N requests filed through the API
 * beforehand, then all approved at once through the API; timed from the
 * first approval until every request is active in the store. Each side has
 * its own vendor OU and equally sized groups.
 */
export async function provisioningScenario(ctx: BenchContext, o: { server: DirectoryInfo; accounts: number; tag: string }): Promise<ProvisioningResult> {
  const { server, accounts: n } = o;
  const svcTree = await makeScenarioTree(server, `${o.tag}-svc`, GROUPS);
  const rawTree = await makeScenarioTree(server, `${o.tag}-raw`, GROUPS);
  const setup = serviceSetup(ctx, { name: `${o.tag}-prov`, server, vendorOu: svcTree.vendorOu });
  const concurrency = workerConcurrency(setup);

  // Raw first, on connections opened before the clock starts.
  const raw = rawDirectoryFor(server);
  const rawAccounts = makeAccounts({
    tag: `${o.tag}r`,
    count: n,
    server,
    vendorOu: rawTree.vendorOu,
    groups: rawTree.groups,
    validTo: () => new Date(Date.now() + 7 * DAY_MS),
  });
  const lanes = await RawLanes.open(server, concurrency);
  const rawMeter = new CpuMeter(ctx.pids);
  let rawSeconds: number;
  try {
    rawMeter.begin();
    rawSeconds = await lanes.run(rawAccounts, (client, a) => raw.provision(client, a));
  } finally {
    await lanes.close();
  }
  const rawCpu = rawMeter.end();

  const service = await spawnService(setup, 'all', { mainJs: ctx.mainJs, name: `${o.tag}-provisioning`, profileDir: ctx.profileDir });
  const view = storeView(ctx.redisUrl, setup.keys);
  try {
    const api = apiClient(service.url);
    const { requester, approver } = setup.tokens;
    const now = Date.now();
    const vendor = await api<{ id: string }>('POST', '/v1/vendors', requester, {
      name: 'Bench Co',
      contractRef: 'BENCH-1',
      contractEndsAt: new Date(now + 365 * DAY_MS).toISOString(),
    });
    const ids: string[] = new Array<string>(n);
    // Filing is set-up: one person per request, as in real use (the username comes from the person's first name).
    await inLanes(
      Array.from({ length: n }, (_, i) => i),
      16,
      async (i) => {
        const person = await api<{ id: string }>('POST', `/v1/vendors/${vendor.id}/people`, requester, {
          fullName: `P${i.toString(36)} Bench`,
          email: `p${i}@bench.test`,
          ndaSignedAt: new Date(now - DAY_MS).toISOString(),
          ndaRef: `NDA-${i}`,
        });
        const request = await api<{ id: string }>('POST', '/v1/requests', requester, {
          personId: person.id,
          workDescription: 'benchmark',
          targetSystems: ['bench'],
          groups: [svcTree.groups[i % GROUPS]!],
          validFrom: new Date(now).toISOString(),
          validTo: new Date(now + 7 * DAY_MS).toISOString(),
        });
        ids[i] = request.id;
      },
    );

    await view.redis.config('RESETSTAT');
    const meter = new CpuMeter({ ...ctx.pids, service: service.pid });
    meter.begin();
    const started = performance.now();
    let approveSeconds = 0;
    const approvals = inLanes(ids, 32, async (id) => {
      await api('POST', `/v1/requests/${id}/approve`, approver, {});
    }).then(() => (approveSeconds = (performance.now() - started) / 1000));
    // The bench's own polling (two ZCARDs a poll) is not the service's cost: counted here and left out below.
    let polls = 0;
    await waitFor(
      'every request active',
      async () => {
        polls++;
        const [active, failed] = await statusCounts(view.redis, setup.keys, ['active', 'failed']);
        if (failed! > 0) throw new Error(`${failed} provisioning requests failed:\n${service.output().slice(-3000)}`);
        return active! >= n;
      },
      30 * 60_000,
      25,
    );
    const serviceSeconds = (performance.now() - started) / 1000;
    const serviceCpu = meter.end();
    await approvals;
    const calls = await redisCommandCalls(view.redis);
    calls.set('zcard', (calls.get('zcard') ?? 0) - 2 * polls);
    const rawPerSec = n / rawSeconds;
    const servicePerSec = n / serviceSeconds;
    return {
      accounts: n,
      concurrency,
      rawSeconds: round(rawSeconds, 2),
      serviceSeconds: round(serviceSeconds, 2),
      approveSeconds: round(approveSeconds, 2),
      rawPerSec: round(rawPerSec),
      servicePerSec: round(servicePerSec),
      ratio: round(servicePerSec / rawPerSec, 3),
      rawOps: raw.provisionOps,
      redisCallsPerAccount: round(totalCalls(calls) / n),
      redisCallsByCommand: Object.fromEntries(
        [...calls]
          .sort((a, b) => b[1] - a[1])
          .filter(([, c]) => c / n >= 0.1)
          .map(([cmd, c]) => [cmd, round(c / n, 1)]),
      ),
      cores: { raw: rawCpu.cores, service: serviceCpu.cores },
      cpuMsPerAccount: { raw: cpuMsPer(rawCpu, 'service', n), service: cpuMsPer(serviceCpu, 'bench', n) },
    };
  } finally {
    await view.close();
    await service.stop();
  }
}
