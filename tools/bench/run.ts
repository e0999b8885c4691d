import { cpus, loadavg } from 'node:os';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { BenchContext } from './bench-context.js';
import { evaluateTargets, printTable, writeResults, type BenchResults, type DialectResults } from './bench-report.js';
import type { DirectoryInfo } from '../dev/directory-info.js';
import { startBenchRig } from './bench.rig.js';
import { auditScaleScenario } from './audit-scale.scenario.js';
import { ingestScenario } from './ingest.scenario.js';
import { memoryScenario } from './memory.scenario.js';
import { provisioningScenario } from './provisioning.scenario.js';
import { reconcileScenario } from './reconcile.scenario.js';
import { sessionScaleScenario } from './session-scale.scenario.js';
import { massRevocationScenario } from './revocation-mass.scenario.js';
import { singleRevocationScenario } from './revocation-single.scenario.js';

const SCENARIOS = ['provisioning', 'single', 'mass', 'ingest', 'memory'] as const;
type Scenario = (typeof SCENARIOS)[number];

/** Sizes of a full and a quick run (the full one fits in about 5 minutes on the 2-core platform). */
const SIZES = {
  full: { provisioning: 1000, single: 100, spacingMs: 150, mass: 2000, ingestEvents: 100_000, latencySeconds: 10, memory: 10_000, memoryWindow: 15 },
  quick: { provisioning: 200, single: 30, spacingMs: 150, mass: 300, ingestEvents: 20_000, latencySeconds: 5, memory: 2000, memoryWindow: 8 },
  ad: { provisioning: 40, single: 20, spacingMs: 400, mass: 100 },
  adQuick: { provisioning: 15, single: 8, spacingMs: 400, mass: 30 },
};

/** `--scale`: reconciliation at these sizes (OpenLDAP), several passes each (the median is reported). */
const SCALE = {
  full: { reconcile: [1000, 5000, 20_000], passes: 5, auditEvents: 1_000_000, sessionEvents: 200_000 },
  quick: { reconcile: [500, 1000, 2000], passes: 3, auditEvents: 100_000, sessionEvents: 50_000 },
};
const SCALE_PARTS = ['reconcile', 'audit', 'sessions'] as const;

const USAGE = `usage: npm run bench -- [--quick] [--ad] [--only ${SCENARIOS.join(',')}] [--profile DIR]
  --quick    smaller sizes (about a minute)
  --ad       also run provisioning and revocation against Samba AD (started or joined here)
  --only     run only these scenarios (results then go to a dated *-partial.json only)
  --scale    measure at scale instead: a reconciliation pass at 1k/5k/20k accounts (with --quick 500/1k/2k) and the audit trail
             at 1M events before and after archival (quick 100k) and session events at 200k (quick 50k) per layout, before and
             after retention archival; add --only to run other scenarios too
  --parts    with --scale: only these of ${SCALE_PARTS.join(',')}
  --sizes    with --scale: other numbers of accounts (e.g. 1000,20000); --passes: passes per size (default 5, quick 3)
  --profile  write a CPU profile of every service process to DIR
  --concurrency  WORKER_CONCURRENCY of the services and lanes of the raw client (default: the service default)`;

/**
 * `npm run bench`: starts its own Redis and slapd (and Samba AD with --ad),
 * runs every scenario against the real service (child processes of
 * dist/main.js) and against raw ldapts on the same server, prints a table
 * and writes bench/results/latest.json plus a dated copy.
 */
async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      quick: { type: 'boolean', default: false },
      ad: { type: 'boolean', default: false },
      only: { type: 'string' },
      profile: { type: 'string' },
      concurrency: { type: 'string' },
      scale: { type: 'boolean', default: false },
      sizes: { type: 'string' },
      passes: { type: 'string' },
      parts: { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) return console.log(USAGE);
  const only = values.only ? (values.only.split(',') as Scenario[]) : values.scale ? [] : [...SCENARIOS];
  const unknown = only.filter((s) => !SCENARIOS.includes(s));
  if (unknown.length) throw new Error(`unknown scenario ${unknown.join(', ')}\n${USAGE}`);
  const size = values.quick ? SIZES.quick : SIZES.full;
  const startedAt = new Date();
  const loadAverageAtStart = loadavg();
  const log = (text: string) => console.error(`[bench ${((Date.now() - startedAt.getTime()) / 1000).toFixed(0).padStart(3)} s] ${text}`);

  log(`starting Redis and slapd${values.ad ? ' and Samba AD' : ''}`);
  const rig = await startBenchRig({ ad: values.ad });
  const ctx: BenchContext = {
    dir: rig.dir,
    redisUrl: rig.redis.url,
    mainJs: fileURLToPath(new URL('../../dist/main.js', import.meta.url)),
    pids: { bench: process.pid, slapd: rig.slapd.process.child.pid, redis: rig.redis.process.child.pid, ...(rig.samba ? { samba: rig.samba.pid } : {}) },
    ...(values.profile ? { profileDir: resolve(values.profile) } : {}),
    serviceEnv: values.concurrency ? { WORKER_CONCURRENCY: values.concurrency } : {},
  };
  const results: Omit<BenchResults, 'targets' | 'finishedAt' | 'durationSeconds' | 'machine'> = {
    startedAt: startedAt.toISOString(),
    quick: values.quick,
    revocation: {},
  };
  try {
    const dialect = async (server: DirectoryInfo, tag: string, sizes: typeof SIZES.ad, into: DialectResults) => {
      const name = server.dialect === 'ad' ? 'Samba AD' : 'OpenLDAP';
      if (only.includes('provisioning')) {
        log(`${name}: provisioning ${sizes.provisioning} accounts`);
        into.provisioning = await provisioningScenario(ctx, { server, accounts: sizes.provisioning, tag });
      }
      if (only.includes('single')) {
        log(`${name}: ${sizes.single} single-account expiries`);
        into.revocation.single = await singleRevocationScenario(ctx, { server, count: sizes.single, spacingMs: sizes.spacingMs, tag });
      }
      if (only.includes('mass')) {
        log(`${name}: mass expiry of ${sizes.mass} accounts`);
        into.revocation.mass = await massRevocationScenario(ctx, { server, count: sizes.mass, tag });
      }
    };
    await dialect(rig.openldap, 'ol', size, results);
    if (only.includes('ingest')) {
      log(`session ingest: ${size.ingestEvents} events, then ${size.latencySeconds} s at 1,000 events/s`);
      results.ingest = await ingestScenario(ctx, { server: rig.openldap, events: size.ingestEvents, latencySeconds: size.latencySeconds, tag: 'ol' });
    }
    if (only.includes('memory')) {
      log(`worker memory: idle, then ${size.memory} active accounts`);
      results.memory = await memoryScenario(ctx, { server: rig.openldap, count: size.memory, windowSeconds: size.memoryWindow, tag: 'ol' });
    }
    if (values.scale) {
      const scale = values.quick ? SCALE.quick : SCALE.full;
      const sizes = values.sizes ? values.sizes.split(',').map(Number) : scale.reconcile;
      const passes = values.passes ? Number(values.passes) : scale.passes;
      if (sizes.some((n) => !Number.isInteger(n) || n < 1) || !Number.isInteger(passes) || passes < 1) throw new Error(`bad --sizes or --passes\n${USAGE}`);
      const parts = values.parts ? values.parts.split(',') : [...SCALE_PARTS];
      if (parts.some((p) => !(SCALE_PARTS as readonly string[]).includes(p))) throw new Error(`bad --parts\n${USAGE}`);
      if (parts.includes('reconcile')) {
        log(`reconciliation passes at ${sizes.join(' / ')} accounts`);
        results.reconcile = await reconcileScenario(ctx, { server: rig.openldap, sizes, passes: () => passes, tag: 'ol', log });
      }
      if (parts.includes('audit')) {
        log(`audit trail: ${scale.auditEvents} events, sealed into segments of 10,000`);
        results.auditScale = await auditScaleScenario(ctx, { events: scale.auditEvents, segmentEvents: 10_000, log });
      }
      if (parts.includes('sessions')) {
        log(`session events: ${scale.sessionEvents} per layout, then reviewed and archived`);
        results.sessionScale = await sessionScaleScenario(ctx, { server: rig.openldap, events: scale.sessionEvents, log });
      }
    }
    if (rig.ad) {
      results.ad = { revocation: {} };
      await dialect(rig.ad, 'ad', values.quick ? SIZES.adQuick : SIZES.ad, results.ad);
    }
  } finally {
    log('stopping the servers');
    await rig.stop();
  }
  const finishedAt = new Date();
  const done = {
    ...results,
    finishedAt: finishedAt.toISOString(),
    durationSeconds: Math.round((finishedAt.getTime() - startedAt.getTime()) / 1000),
    machine: { cpus: cpus().length, node: process.version, loadAverageAtStart, loadAverageAtEnd: loadavg() },
  };
  const final: BenchResults = { ...done, targets: evaluateTargets(done) };
  printTable(final);
  const files = await writeResults(resolve('bench/results'), final, only.length === SCENARIOS.length && !values.scale);
  console.log(`results: ${files.join(', ')}`);
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? (err.stack ?? err.message) : String(err));
  process.exit(1);
});
