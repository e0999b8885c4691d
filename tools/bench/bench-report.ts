import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { AuditScaleResult } from './audit-scale.scenario.js';
import type { IngestResult } from './ingest.scenario.js';
import type { MemoryResult } from './memory.scenario.js';
import type { ProvisioningResult } from './provisioning.scenario.js';
import type { ReconcileResult } from './reconcile.scenario.js';
import type { SessionScaleResult } from './session-scale.scenario.js';
import type { MassRevocationResult } from './revocation-mass.scenario.js';
import type { SingleRevocationResult } from './revocation-single.scenario.js';

/** Results of one directory dialect. */
export interface DialectResults {
  provisioning?: ProvisioningResult;
  revocation: { single?: SingleRevocationResult; mass?: MassRevocationResult };
}

/** bench/results/*.json: every figure of one run. */
export interface BenchResults extends DialectResults {
  startedAt: string;
  finishedAt: string;
  durationSeconds: number;
  quick: boolean;
  machine: { cpus: number; node: string; loadAverageAtStart: number[]; loadAverageAtEnd: number[] };
  ingest?: IngestResult;
  memory?: MemoryResult;
  /** `--scale`: reconciliation pass time and LDAP requests per pass at several sizes (OpenLDAP). */
  reconcile?: ReconcileResult;
  /** `--scale`: the audit trail at 1M events before and after sealing it into ARCHIVE_DIR. */
  auditScale?: AuditScaleResult;
  /** `--scale`: control-plane Redis bytes per session event per layout, before and after retention archival. */
  sessionScale?: SessionScaleResult;
  ad?: DialectResults;
  targets: Target[];
}

/** A DESIGN.md performance target and whether this run met it. */
export interface Target {
  figure: string;
  value: number | undefined;
  target: string;
  met: boolean | null;
}

export function evaluateTargets(r: Omit<BenchResults, 'targets'>): Target[] {
  const t = (figure: string, value: number | undefined, target: string, ok: (v: number) => boolean): Target => ({
    figure,
    value,
    target,
    met: value === undefined || Number.isNaN(value) ? null : ok(value),
  });
  return [
    t('provisioning ratio (service / raw)', r.provisioning?.ratio, '≥ 0.9', (v) => v >= 0.9),
    t('single revocation p99 (ms)', r.revocation.single?.p99Ms, '≤ 1000', (v) => v <= 1000),
    t('mass expiry ratio (service / raw)', r.revocation.mass?.ratio, '≤ 1.15', (v) => v <= 1.15),
    t('ingest (events/s)', r.ingest?.eventsPerSec, '≥ 20000', (v) => v >= 20_000),
    t('ingest p99 at 1,000 events/s (ms)', r.ingest?.p99Ms, '≤ 50', (v) => v <= 50),
    t('reconcile pass at 20,000 accounts (s, median)', r.reconcile?.sizes.find((s) => s.accounts === 20_000)?.medianSeconds, '≤ 5', (v) => v <= 5),
  ];
}

const fmt = (v: number | undefined, digits = 1): string =>
  v === undefined || Number.isNaN(v) ? '—' : v.toLocaleString('en-US', { maximumFractionDigits: digits });

/** The rows of the printed table: figure, value, target (if any), met. */
function tableRows(r: BenchResults): string[][] {
  const rows: string[][] = [];
  const dialect = (label: string, d: DialectResults) => {
    const p = d.provisioning;
    if (p) {
      rows.push([`${label} provisioning, raw ldapts (accounts/s)`, fmt(p.rawPerSec), '', '']);
      rows.push([`${label} provisioning, service (accounts/s)`, fmt(p.servicePerSec), '', '']);
      rows.push([`${label} provisioning ratio (${p.accounts} accounts, concurrency ${p.concurrency})`, fmt(p.ratio, 3), '≥ 0.9', mark(p.ratio >= 0.9)]);
      rows.push([
        `${label} provisioning CPU per account, raw / service (ms, client or service + directory + Redis)`,
        `${fmt(p.cpuMsPerAccount.raw)} / ${fmt(p.cpuMsPerAccount.service)}`,
        '',
        '',
      ]);
    }
    const s = d.revocation.single;
    if (s)
      rows.push([
        `${label} single revocation lag p50 / p99 / max (ms, ${s.expiries} expiries)`,
        `${fmt(s.p50Ms)} / ${fmt(s.p99Ms)} / ${fmt(s.maxMs)}`,
        'p99 ≤ 1000',
        mark(s.p99Ms <= 1000),
      ]);
    const m = d.revocation.mass;
    if (m) {
      rows.push([
        `${label} mass expiry of ${m.accounts}: raw (faster of ${Object.keys(m.rawSecondsByLanes).join(' / ')} connections) / service (s)`,
        `${fmt(m.rawSeconds, 2)} / ${fmt(m.serviceSeconds, 2)}`,
        '',
        '',
      ]);
      rows.push([`${label} mass expiry ratio (service / raw)`, fmt(m.ratio, 3), '≤ 1.15', mark(m.ratio <= 1.15)]);
      rows.push([
        `${label} mass expiry CPU per account, raw / service (ms, client or service + directory + Redis)`,
        `${fmt(m.cpuMsPerAccount.raw)} / ${fmt(m.cpuMsPerAccount.service)}`,
        '',
        '',
      ]);
    }
  };
  dialect('OpenLDAP', r);
  if (r.ingest) {
    rows.push([
      `session ingest (events/s, batches of ${r.ingest.throughput.batch})`,
      fmt(r.ingest.eventsPerSec, 0),
      '≥ 20,000',
      mark(r.ingest.eventsPerSec >= 20_000),
    ]);
    rows.push([
      `session ingest p50 / p99 at 1,000 events/s (ms, batches of ${r.ingest.latency.batch})`,
      `${fmt(r.ingest.latency.p50Ms)} / ${fmt(r.ingest.p99Ms)}`,
      'p99 ≤ 50',
      mark(r.ingest.p99Ms <= 50),
    ]);
  }
  if (r.memory) {
    rows.push(['worker RSS idle (MB)', fmt(r.memory.workerRssMbIdle), '', '']);
    rows.push([
      `worker RSS with ${r.memory.accounts.toLocaleString('en-US')} active accounts, peak / low (MB)`,
      `${fmt(r.memory.workerRssMbAt10k)} / ${fmt(r.memory.workerRssMbAt10kLow)}`,
      'flat',
      '',
    ]);
  }
  for (const s of r.reconcile?.sizes ?? [])
    rows.push([
      `reconcile pass, ${s.accounts.toLocaleString('en-US')} accounts: median (min–max of ${s.passes}) s; LDAP searches / writes; CPU s reconciler / slapd / Redis`,
      `${fmt(s.medianSeconds, 2)} (${fmt(s.minSeconds, 2)}–${fmt(s.maxSeconds, 2)}); ${s.ldapSearchesPerPass} / ${s.ldapWritesPerPass}; ${['reconciler', 'slapd', 'redis'].map((p) => fmt(s.cpuSecondsPerPass[p], 2)).join(' / ')}`,
      s.accounts === 20_000 ? '≤ 5 s' : '',
      s.accounts === 20_000 ? mark(s.medianSeconds <= 5) : '',
    ]);
  const a = r.auditScale;
  if (a) {
    const n = a.events.toLocaleString('en-US');
    rows.push([
      `audit: Redis bytes per event, ${n} events all live / after sealing (segments of ${a.segmentEvents})`,
      `${fmt(a.redisBytesPerEventLive, 0)} / ${fmt(a.redisBytesPerEventArchived, 1)}`,
      'near 0 archived',
      '',
    ]);
    rows.push([
      `audit: events left in Redis after sealing ${n}`,
      fmt(a.liveEventsAfter, 0),
      `< ${a.segmentEvents.toLocaleString('en-US')}`,
      mark(a.liveEventsAfter < a.segmentEvents),
    ]);
    rows.push([
      `audit: API verify at ${n} events, all in Redis / seals + live tail (s)`,
      `${fmt(a.apiVerifySecondsBefore, 3)} / ${fmt(a.apiVerifySecondsAfter, 3)}`,
      '',
      '',
    ]);
    rows.push([
      `audit: full verify of ${n} events with --archive (s); sealing them (s)`,
      `${fmt(a.fullVerifySecondsAfter, 2)}; ${fmt(a.archiveSeconds, 2)}`,
      '',
      '',
    ]);
    rows.push([
      `audit: every event of a rare actor at ${n}, scan / segment indexes (s)`,
      `${fmt(a.rareActorSearchSecondsBefore, 3)} (${a.rareActorPagesBefore} pages) / ${fmt(a.rareActorSearchSecondsAfter, 3)}`,
      '',
      '',
    ]);
  }
  const ss = r.sessionScale;
  if (ss) {
    const n = ss.events.toLocaleString('en-US');
    rows.push([
      `sessions: Redis bytes per event at ${n}, bodies in Redis / ARCHIVE_DIR / after archival`,
      `${fmt(ss.controlPlaneBytesPerEvent, 0)} / ${fmt(ss.archiveDirBytesPerEvent, 0)} / ${fmt(ss.afterArchivalBytesPerEvent, 0)}`,
      '',
      '',
    ]);
    const k = ss.sessionKeyBytesPerEvent;
    rows.push([
      `sessions: bytes of ses:* keys per event, bodies in Redis / ARCHIVE_DIR / after archival`,
      `${fmt(k.controlPlane, 0)} / ${fmt(k.archiveDir, 0)} / ${fmt(k.afterArchival, 0)}`,
      '',
      '',
    ]);
    rows.push([
      `sessions: ingest events/s at ${n}, bodies in Redis / ARCHIVE_DIR`,
      `${fmt(ss.controlPlaneEventsPerSec, 0)} / ${fmt(ss.archiveDirEventsPerSec, 0)}`,
      '≥ 20,000',
      mark(ss.archiveDirEventsPerSec >= 20_000),
    ]);
    const l = ss.latencyMs;
    rows.push([
      `sessions: p50 / p99 at 1,000 events/s (batches of 10), bodies in Redis / ARCHIVE_DIR (ms)`,
      `${fmt(l.controlPlane[0], 1)} / ${fmt(l.controlPlane[1], 1)}; ${fmt(l.archiveDir[0], 1)} / ${fmt(l.archiveDir[1], 1)}`,
      'p99 ≤ 50',
      mark(l.archiveDir[1] <= 50),
    ]);
    rows.push([
      `sessions: day-file bytes per event; ${ss.sessions} sessions reviewed / archived (s)`,
      `${fmt(ss.fileBytesPerEvent, 0)}; ${fmt(ss.reviewSeconds, 1)} / ${fmt(ss.archivalSeconds, 1)}`,
      '',
      '',
    ]);
  }
  if (r.ad) dialect('Samba AD', r.ad);
  return rows;
}

function mark(ok: boolean): string {
  return ok ? 'yes' : 'NO';
}

export function printTable(r: BenchResults): void {
  const rows = [['figure', 'value', 'target', 'met'], ...tableRows(r)];
  const widths = [0, 1, 2, 3].map((c) => Math.max(...rows.map((row) => row[c]!.length)));
  const line = (row: string[]) => row.map((cell, c) => (c === 1 ? cell.padStart(widths[c]!) : cell.padEnd(widths[c]!))).join('  ');
  console.log(`\n${line(rows[0]!)}\n${widths.map((w) => '-'.repeat(w)).join('  ')}`);
  for (const row of rows.slice(1)) console.log(line(row));
  console.log(
    `\n${r.quick ? 'quick run' : 'full run'} in ${r.durationSeconds} s on ${r.machine.cpus} CPUs; load average ${r.machine.loadAverageAtStart.map((x) => x.toFixed(1)).join(' ')} at start`,
  );
}

/**
 * Writes the results to bench/results: always a dated copy; latest.json
 * (tracked) only for a full run of every scenario, latest-quick.json for a
 * quick one.
 */
export async function writeResults(dir: string, r: BenchResults, complete: boolean): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const stamp = r.startedAt.replace(/[:.]/g, '-');
  const text = `${JSON.stringify(r, null, 2)}\n`;
  const files = [join(dir, `${stamp}${r.quick ? '-quick' : ''}${complete ? '' : '-partial'}.json`)];
  if (complete) files.push(join(dir, r.quick ? 'latest-quick.json' : 'latest.json'));
  for (const f of files) await writeFile(f, text);
  return files;
}
