import { Redis } from 'ioredis';
import type { BenchContext } from './bench-context.js';
import { makeAccounts, seedDirectory, seedStore } from './bench-accounts.js';
import type { DirectoryInfo } from '../dev/directory-info.js';
import { makeScenarioTree } from './bench.rig.js';
import { round } from './bench-stats.js';
import { CpuMeter } from './cpu-meter.js';
import { RawLanes, rawDirectoryFor } from './raw-directory.js';
import { createLogger } from '../../src/logger.js';
import { LdapConnection } from '../../src/provisioner/ldap/ldap-connection.js';
import { OpenLdapDirectory } from '../../src/provisioner/openldap/openldap.directory.js';
import { ReconcileService } from '../../src/provisioner/reconcile.service.js';
import { RedisDomainStore } from '../../src/store/redis-domain.store.js';
import { RedisKeys } from '../../src/store/redis-keys.js';
import { RedisRecordStore } from '../../src/store/redis-record.store.js';
import { Transactor } from '../../src/store/transactor.js';

/** One size of the reconciliation scenario. */
export interface ReconcileSizeResult {
  accounts: number;
  groups: number;
  passes: number;
  /** Median wall time of one pass (several passes, since the machine is shared). */
  medianSeconds: number;
  minSeconds: number;
  maxSeconds: number;
  /** LDAP requests of one pass (the median pass): searches (each page of a paged search counts), and writes. */
  ldapSearchesPerPass: number;
  ldapWritesPerPass: number;
  /**
   * CPU seconds of the median pass, per process: the reconciler (this
   * process), slapd and Redis. Far steadier than wall time on a shared
   * machine: with a core to itself a pass takes about the largest of them.
   */
  cpuSecondsPerPass: Record<string, number>;
  /** What the pass found (0 in this steady state: every account has a live request and ordinary groups). */
  findings: number;
}

export interface ReconcileResult {
  sizes: ReconcileSizeResult[];
}

const DAY_MS = 86_400_000;
/** Groups the accounts are spread over (as the memory scenario). */
const GROUPS = 4;
/** The service's directory pool at the default WORKER_CONCURRENCY (16): createDirectory's min(16, max(2, concurrency)). */
const POOL = 16;

/**
 * Wraps a connection so that every LDAP request it sends is counted: a
 * search, each page of a paged search, and each write.
 */
function countingConnection(connection: LdapConnection): { connection: LdapConnection; counts: { searches: number; writes: number }; reset(): void } {
  const counts = { searches: 0, writes: 0 };
  const proxy = new Proxy(connection, {
    get(target, prop, receiver) {
      const value: unknown = Reflect.get(target, prop, receiver);
      if (typeof value !== 'function') return value;
      const method = (value as (...args: unknown[]) => unknown).bind(target);
      if (prop === 'search') return (...args: unknown[]) => (counts.searches++, method(...args));
      if (prop === 'add' || prop === 'modify' || prop === 'del' || prop === 'passwordModify') return (...args: unknown[]) => (counts.writes++, method(...args));
      if (prop === 'searchPaged')
        return async function* (...args: unknown[]) {
          for await (const page of method(...args) as AsyncIterable<unknown>) {
            counts.searches++;
            yield page;
          }
        };
      return method;
    },
  });
  return { connection: proxy, counts, reset: () => Object.assign(counts, { searches: 0, writes: 0 }) };
}

/**
 * (f) Reconciliation at scale: for each size, `n` vendor accounts as the
 * service leaves them once active (enabled, expiring in a week, each in one
 * of 4 ordinary groups, each with a live request in the store) are written
 * straight into slapd and Redis; then whole reconciliation passes
 * (ReconcileService over the OpenLDAP adapter, in this process, the
 * directory pool at the service's default size) are timed back to back, and
 * the LDAP requests of each pass counted. Every pass finds nothing (the
 * steady state), so passes are repeatable on the same data; the median is
 * reported because other work shares the machine.
 */
export async function reconcileScenario(
  ctx: BenchContext,
  o: { server: DirectoryInfo; sizes: number[]; passes: (n: number) => number; tag: string; log: (text: string) => void },
): Promise<ReconcileResult> {
  if (o.server.dialect !== 'openldap') throw new Error('the reconciliation scenario runs against OpenLDAP');
  const server = o.server;
  const sizes: ReconcileSizeResult[] = [];
  const logger = createLogger('error', true);
  for (const n of o.sizes) {
    const name = `${o.tag}-rec-${n}`;
    const tree = await makeScenarioTree(server, name, GROUPS);
    const accounts = makeAccounts({
      tag: `${o.tag}r${n}`,
      count: n,
      server,
      vendorOu: tree.vendorOu,
      groups: tree.groups,
      validTo: () => new Date(Date.now() + 7 * DAY_MS),
    });
    o.log(`reconcile ${n}: seeding ${n} accounts`);
    const lanes = await RawLanes.open(server, 8);
    try {
      await seedDirectory(server, rawDirectoryFor(server), lanes, accounts);
    } finally {
      await lanes.close();
    }
    const keys = new RedisKeys(`bench-${name}`);
    const redis = new Redis(ctx.redisUrl, { maxRetriesPerRequest: 3 });
    const txRedis = redis.duplicate();
    const raw = new LdapConnection({
      url: server.ldapsUrl,
      bindDn: server.bindDn,
      bindPassword: server.bindPassword,
      ca: server.caPem,
      startTls: false,
      timeoutMs: 30_000,
      poolSize: POOL,
    });
    try {
      const records = new RedisRecordStore(redis, keys);
      await seedStore(redis, records, accounts);
      const now = () => new Date();
      const store = new RedisDomainStore(records, new Transactor(txRedis, keys, now));
      const counted = countingConnection(raw);
      const directory = new OpenLdapDirectory({ connection: counted.connection, vendorOu: tree.vendorOu, baseDn: server.baseDn, privilegedGroups: [], logger });
      const reconciler = new ReconcileService({ store, directory, logger, now });
      const runs: { seconds: number; searches: number; writes: number; findings: number; cpu: Record<string, number> }[] = [];
      const meter = new CpuMeter({ reconciler: process.pid, slapd: ctx.pids.slapd, redis: ctx.pids.redis });
      await directory.ping();
      for (let i = 0; i < o.passes(n); i++) {
        counted.reset();
        meter.begin();
        const started = performance.now();
        const report = await reconciler.reconcile();
        const seconds = (performance.now() - started) / 1000;
        const cpu = Object.fromEntries(Object.entries(meter.end().seconds).map(([name, s]) => [name, round(s, 2)]));
        if (report.scanned !== n) throw new Error(`pass scanned ${report.scanned} accounts, expected ${n}`);
        const findings = report.orphansDisabled.length + report.corrected.length + report.driftRemoved.length;
        runs.push({ seconds, searches: counted.counts.searches, writes: counted.counts.writes, findings, cpu });
        o.log(
          `reconcile ${n}: pass ${i + 1} ${seconds.toFixed(2)} s, ${counted.counts.searches} searches, ${counted.counts.writes} writes, ${findings} findings, CPU s ${JSON.stringify(cpu)}`,
        );
      }
      const sorted = [...runs].sort((a, b) => a.seconds - b.seconds);
      const median = sorted[Math.floor((sorted.length - 1) / 2)]!;
      sizes.push({
        accounts: n,
        groups: GROUPS,
        passes: runs.length,
        medianSeconds: round(median.seconds, 2),
        minSeconds: round(sorted[0]!.seconds, 2),
        maxSeconds: round(sorted.at(-1)!.seconds, 2),
        ldapSearchesPerPass: median.searches,
        ldapWritesPerPass: median.writes,
        cpuSecondsPerPass: median.cpu,
        findings: Math.max(...runs.map((r) => r.findings)),
      });
    } finally {
      await raw.close();
      await Promise.all([redis.quit().catch(() => undefined), txRedis.quit().catch(() => undefined)]);
    }
  }
  return { sizes };
}
