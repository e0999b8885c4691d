import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import type { BenchContext } from './bench-context.js';
import type { DirectoryInfo } from '../dev/directory-info.js';
import { makeScenarioTree } from './bench.rig.js';
import { serviceSetup, spawnService } from './bench-service.js';
import { round } from './bench-stats.js';
import { measureIngest } from './measure-ingest.js';
import { createLogger } from '../../src/logger.js';
import { FileEventBodies } from '../../src/sessions/file-event-bodies.js';
import { RedisSessionStore } from '../../src/sessions/redis-session.store.js';
import { SessionArchive } from '../../src/sessions/session-archive.js';
import { SessionArchiverService } from '../../src/sessions/session-archiver.service.js';
import { SessionReviewService } from '../../src/sessions/session-review.service.js';
import { RedisKeys } from '../../src/store/redis-keys.js';
import { RedisRecordStore } from '../../src/store/redis-record.store.js';
import { Transactor } from '../../src/store/transactor.js';

/** Control-plane Redis cost of session events, per layout, and what retention archival leaves. */
export interface SessionScaleResult {
  events: number;
  sessions: number;
  /** used_memory growth per event with the bodies in the control-plane Redis (no ARCHIVE_DIR: the small-site default). */
  controlPlaneBytesPerEvent: number;
  /** The same with ARCHIVE_DIR: records, indexes, references and dedupe marks only. */
  archiveDirBytesPerEvent: number;
  /**
   * With ARCHIVE_DIR, after every session was reviewed and retention archived
   * it. used_memory includes the audit trail's growth: one session.reviewed and
   * one session.archived event per session (sealed out by the audit archive).
   */
  afterArchivalBytesPerEvent: number;
  /** MEMORY USAGE of the session keys alone (`ses:*`) per event: bodies in Redis / ARCHIVE_DIR / after archival. */
  sessionKeyBytesPerEvent: { controlPlane: number; archiveDir: number; afterArchival: number };
  /** The same after archival, by kind of key (`live`, `mark`, `batch`, …: the live window). */
  afterArchivalKeyBytesPerEventByKind: Record<string, number>;
  /** Bytes of the day files per event (on disk, not in Redis). */
  fileBytesPerEvent: number;
  /** Ingest throughput through POST /v1/session-events (batches of 1,000, 4 in flight), each layout. */
  controlPlaneEventsPerSec: number;
  archiveDirEventsPerSec: number;
  /** p50 / p99 latency at an offered 1,000 events/s in batches of 10 (one fsync each with ARCHIVE_DIR), each layout. */
  latencyMs: { controlPlane: [number, number]; archiveDir: [number, number] };
  reviewSeconds: number;
  archivalSeconds: number;
}

/** Events sent at 1,000 events/s after the throughput run (stored too: archival covers them). */
const LATENCY_EVENTS = 5000;

async function usedMemory(redis: Redis): Promise<number> {
  return Number(/used_memory:(\d+)/.exec(await redis.info('memory'))![1]);
}

/** MEMORY USAGE of every session key (`<prefix>:ses:*`), with the same by kind of key (`rec`, `idx`, `live`, `mark`, …). */
async function sessionKeyBytes(redis: Redis, prefix: string, byKind = new Map<string, number>()): Promise<number> {
  let total = 0;
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:ses:*`, 'COUNT', 1000);
    cursor = next;
    const p = redis.pipeline();
    for (const key of keys) p.memory('USAGE', key, 'SAMPLES', '0');
    ((await p.exec()) ?? []).forEach(([err, bytes], i) => {
      if (err) return;
      total += Number(bytes ?? 0);
      const kind = keys[i]!.slice(prefix.length + 5).split(':')[0]!;
      byKind.set(kind, (byKind.get(kind) ?? 0) + Number(bytes ?? 0));
    });
  } while (cursor !== '0');
  return total;
}

async function treeBytes(dir: string): Promise<number> {
  let total = 0;
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true }))
    if (entry.isFile()) total += (await stat(join(entry.parentPath, entry.name))).size;
  return total;
}

/** Ingests `events` through a fresh API service (as `measureIngest` sends them) and measures what Redis grew by. */
async function ingestInto(ctx: BenchContext, redis: Redis, server: DirectoryInfo, name: string, events: number, env: Record<string, string>) {
  const tree = await makeScenarioTree(server, name, 1);
  const setup = serviceSetup(ctx, { name, server, vendorOu: tree.vendorOu });
  Object.assign(setup.env, env);
  const service = await spawnService(setup, 'api', { mainJs: ctx.mainJs, name, profileDir: ctx.profileDir });
  try {
    const before = await usedMemory(redis);
    const run = await measureIngest({ url: service.url, token: setup.tokens.logSource, events, batch: 1000, concurrency: 4 });
    const after = await usedMemory(redis);
    const keyBytes = await sessionKeyBytes(redis, setup.keys.prefix);
    // Then latency at the target's offered load; these events are not counted in the bytes above.
    const latency = await measureIngest({ url: service.url, token: setup.tokens.logSource, events: LATENCY_EVENTS, batch: 10, ratePerSec: 1000, accounts: 50 });
    if (run.errors || latency.errors) throw new Error(`${run.errors + latency.errors} ingest requests failed:\n${service.output().slice(-3000)}`);
    return { keys: setup.keys, before, after, keyBytes, eventsPerSec: run.eventsPerSec, latency: [latency.p50Ms, latency.p99Ms] as [number, number] };
  } finally {
    await service.stop();
  }
}

/**
 * `--scale` (issue 13): `events` session events (sessions of 20) through the
 * real ingest path, once with the bodies in the control-plane Redis and once
 * with ARCHIVE_DIR; then every session of the second run is reviewed and
 * archived by retention (in this process, with the clock moved past
 * sessions.retentionDays), and Redis is measured again.
 */
export async function sessionScaleScenario(
  ctx: BenchContext,
  o: { server: DirectoryInfo; events: number; log: (text: string) => void },
): Promise<SessionScaleResult> {
  const redis = new Redis(ctx.redisUrl, { maxRetriesPerRequest: 3 });
  const archiveDir = join(ctx.dir, 'session-archive');
  const prefixes: string[] = [];
  try {
    const inline = await ingestInto(ctx, redis, o.server, 'ses-inline', o.events, {});
    prefixes.push(inline.keys.prefix);
    o.log(`session scale: ${o.events} events with bodies in Redis at ${inline.eventsPerSec}/s`);
    const files = await ingestInto(ctx, redis, o.server, 'ses-files', o.events, { ARCHIVE_DIR: archiveDir });
    prefixes.push(files.keys.prefix);
    o.log(`session scale: ${o.events} events with ARCHIVE_DIR at ${files.eventsPerSec}/s`);
    const fileBytes = await treeBytes(join(archiveDir, 'sessions'));

    // Review and archive every session, as auditors and the worker would over the retention period.
    const keys = new RedisKeys(files.keys.prefix);
    const txRedis = redis.duplicate();
    const later = () => new Date(Date.now() + 100 * 86_400_000);
    const store = new RedisSessionStore({
      redis,
      records: new RedisRecordStore(redis, keys),
      tx: new Transactor(txRedis, keys, later),
      bodies: new FileEventBodies(archiveDir, () => new Date()),
      archive: new SessionArchive(archiveDir),
    });
    const reviews = new SessionReviewService({ store, now: later });
    const reviewStarted = performance.now();
    let sessions = 0;
    for (;;) {
      const page = await store.listSessions({ reviewed: false }, undefined, 200);
      if (page.items.length === 0) break;
      await Promise.all(page.items.map((s) => reviews.review('bench-auditor', s.id, 'ok', undefined)));
      sessions += page.items.length;
    }
    const reviewSeconds = (performance.now() - reviewStarted) / 1000;
    const archiver = new SessionArchiverService({
      store,
      archive: new SessionArchive(archiveDir),
      retentionDays: 90,
      logger: createLogger('warn', false),
      now: later,
    });
    const archiveStarted = performance.now();
    let archived = 0;
    for (let n = -1; n !== 0; archived += n) n = (await archiver.run()).archived;
    const archivalSeconds = (performance.now() - archiveStarted) / 1000;
    if (archived !== sessions) throw new Error(`archived ${archived} of ${sessions} sessions`);
    o.log(`session scale: ${sessions} sessions reviewed in ${round(reviewSeconds, 1)} s, archived in ${round(archivalSeconds, 1)} s`);
    const afterArchival = await usedMemory(redis);
    const byKind = new Map<string, number>();
    const keyBytesAfter = await sessionKeyBytes(redis, keys.prefix, byKind);
    const perEvent = (bytes: number) => round(bytes / (o.events + LATENCY_EVENTS), 2);
    o.log(`session scale: ses:* bytes per event after archival by kind: ${[...byKind].map(([k, b]) => `${k} ${perEvent(b)}`).join(', ')}`);
    await txRedis.quit();

    return {
      events: o.events,
      sessions,
      controlPlaneBytesPerEvent: round((inline.after - inline.before) / o.events, 1),
      archiveDirBytesPerEvent: round((files.after - files.before) / o.events, 1),
      afterArchivalBytesPerEvent: round((afterArchival - files.before) / (o.events + LATENCY_EVENTS), 1),
      sessionKeyBytesPerEvent: {
        controlPlane: round(inline.keyBytes / o.events, 1),
        archiveDir: round(files.keyBytes / o.events, 1),
        afterArchival: round(keyBytesAfter / (o.events + LATENCY_EVENTS), 1),
      },
      afterArchivalKeyBytesPerEventByKind: Object.fromEntries([...byKind].map(([k, b]) => [k, perEvent(b)])),
      fileBytesPerEvent: round(fileBytes / (o.events + LATENCY_EVENTS), 1),
      controlPlaneEventsPerSec: inline.eventsPerSec,
      archiveDirEventsPerSec: files.eventsPerSec,
      latencyMs: { controlPlane: inline.latency, archiveDir: files.latency },
      reviewSeconds: round(reviewSeconds, 1),
      archivalSeconds: round(archivalSeconds, 1),
    };
  } finally {
    for (const prefix of prefixes) {
      const stale = await redis.keys(`${prefix}:*`);
      for (let i = 0; i < stale.length; i += 1000) await redis.del(...stale.slice(i, i + 1000));
    }
    redis.disconnect();
  }
}
