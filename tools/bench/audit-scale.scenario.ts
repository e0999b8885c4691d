import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import type { BenchContext } from './bench-context.js';
import { round } from './bench-stats.js';
import { verifyWithArchive } from '../../src/audit/archive/archive-verifier.js';
import { AuditArchiver } from '../../src/audit/archive/audit-archiver.js';
import { SegmentFiles } from '../../src/audit/archive/segment-files.js';
import { chainEvents, GENESIS_HASH, type AuditInput } from '../../src/audit/audit-event.js';
import { AuditQueryStore } from '../../src/audit/audit-query.store.js';
import { AuditVerifier } from '../../src/audit/audit-verifier.js';
import { createLogger } from '../../src/logger.js';
import { RedisKeys } from '../../src/store/redis-keys.js';
import { Transactor } from '../../src/store/transactor.js';

/** Figures of the audit trail at scale, before and after sealing it into ARCHIVE_DIR. */
export interface AuditScaleResult {
  events: number;
  segmentEvents: number;
  /** Bytes of the stored lines (what an event costs on disk in a segment). */
  storedBytesPerEvent: number;
  /** Redis used_memory growth per event with everything in Redis, then after archival (what is left, over all events). */
  redisBytesPerEventLive: number;
  redisBytesPerEventArchived: number;
  /** Events still in the Redis list after archival (the live window). */
  liveEventsAfter: number;
  archiveSeconds: number;
  /** GET /v1/audit/verify (whole chain in Redis before; seals + live tail after). */
  apiVerifySecondsBefore: number;
  apiVerifySecondsAfter: number;
  /** `leasehold audit verify --archive DIR`: every event of every segment plus the tail. */
  fullVerifySecondsAfter: number;
  /** Every event of a rare actor (5 in the whole trail), following cursors: before (a scan) and after (segment indexes). */
  rareActorSearchSecondsBefore: number;
  rareActorSearchSecondsAfter: number;
  rareActorPagesBefore: number;
}

const RARE = 'auditor-rare';

/** A plausible event: ~400 bytes stored, 200 actors, one actor that appears only 5 times. */
function input(i: number, rareAt: Set<number>): AuditInput {
  return {
    actor: rareAt.has(i) ? RARE : `staff-${i % 200}`,
    action: ['request.filed', 'request.approved', 'account.created', 'account.disabled', 'session.reviewed'][i % 5]!,
    subject: `request:req_${Math.floor(i / 3)}`,
    outcome: i % 17 === 0 ? 'refused' : 'success',
    details: { vendorId: `ven_${i % 500}`, personId: `per_${i % 5000}`, username: `v-acme-${i % 5000}`, groups: ['cn=erp-operators'], via: 'api' },
  };
}

async function usedMemory(redis: Redis): Promise<number> {
  const info = await redis.info('memory');
  return Number(/used_memory:(\d+)/.exec(info)![1]);
}

async function timed<T>(work: () => Promise<T>): Promise<{ value: T; seconds: number }> {
  const started = performance.now();
  const value = await work();
  return { value, seconds: (performance.now() - started) / 1000 };
}

async function findAllRare(query: AuditQueryStore): Promise<{ found: number; pages: number }> {
  let found = 0;
  let pages = 0;
  let cursor: number | undefined;
  for (;;) {
    const page = await query.page({ actor: RARE }, cursor, 50);
    pages++;
    found += page.items.length;
    if (!page.nextCursor) return { found, pages };
    cursor = Number(Buffer.from(page.nextCursor, 'base64url').toString().slice(2));
  }
}

/**
 * `--scale`: an audit trail of `events` events written straight into Redis
 * (chained exactly as the Transactor does, in batches), measured, sealed into
 * segments of `segmentEvents`, and measured again.
 */
export async function auditScaleScenario(
  ctx: BenchContext,
  opts: { events: number; segmentEvents: number; log: (text: string) => void },
): Promise<AuditScaleResult> {
  const redis = new Redis(ctx.redisUrl, { maxRetriesPerRequest: 3 });
  const keys = new RedisKeys(`bench-audit-${Date.now()}`);
  const archiveDir = join(ctx.dir, 'archive');
  await mkdir(archiveDir, { recursive: true });
  try {
    const rareAt = new Set([1, 2, 3, 4, 5].map((k) => Math.floor((opts.events * k) / 6)));
    const memoryBefore = await usedMemory(redis);
    let head = { seq: 0, hash: GENESIS_HASH };
    let storedBytes = 0;
    const at = Date.now() - opts.events * 1000;
    for (let from = 1; from <= opts.events; from += 10_000) {
      const n = Math.min(10_000, opts.events - from + 1);
      const events = chainEvents(
        head,
        Array.from({ length: n }, (_, k) => input(from + k, rareAt)),
        new Date(at + from * 1000),
      );
      const lines = events.map((e) => JSON.stringify(e));
      for (const l of lines) storedBytes += Buffer.byteLength(l) + 1;
      head = { seq: events.at(-1)!.seq, hash: events.at(-1)!.hash };
      await redis
        .multi()
        .rpush(keys.auditEvents(), ...lines)
        .set(keys.auditHead(), JSON.stringify(head))
        .exec();
    }
    const memoryLive = await usedMemory(redis);
    opts.log(`audit scale: ${opts.events} events in Redis (${round((memoryLive - memoryBefore) / opts.events, 0)} bytes each)`);

    const verifier = new AuditVerifier(redis, keys);
    const before = await timed(() => verifier.verifyRedis());
    if (!before.value.ok) throw new Error(`the generated trail does not verify: ${before.value.reason}`);
    const rareBefore = await timed(() => findAllRare(new AuditQueryStore(redis, keys)));
    if (rareBefore.value.found !== 5) throw new Error(`found ${rareBefore.value.found} events of the rare actor before archival`);

    const files = new SegmentFiles(archiveDir);
    const archiver = new AuditArchiver({
      redis,
      keys,
      tx: new Transactor(redis, keys, () => new Date()),
      files,
      segmentEvents: opts.segmentEvents,
      logger: createLogger('warn', false),
      intervalMs: 0,
    });
    const archived = await timed(async () => (await archiver.archive()) ?? []);
    opts.log(`audit scale: ${archived.value.length} segments sealed in ${round(archived.seconds, 1)} s`);
    const memoryArchived = await usedMemory(redis);
    const after = await timed(() => new AuditVerifier(redis, keys, undefined, files).verifyRedis());
    if (!after.value.ok) throw new Error(`the archived trail does not verify: ${after.value.reason}`);
    const full = await timed(() => verifyWithArchive(redis, keys, archiveDir));
    if (!full.value.ok) throw new Error(`the archive does not verify: ${full.value.reason}`);
    const rareAfter = await timed(() => findAllRare(new AuditQueryStore(redis, keys, {}, files)));
    if (rareAfter.value.found !== 5) throw new Error(`found ${rareAfter.value.found} events of the rare actor after archival`);

    return {
      events: opts.events,
      segmentEvents: opts.segmentEvents,
      storedBytesPerEvent: round(storedBytes / opts.events, 0),
      redisBytesPerEventLive: round((memoryLive - memoryBefore) / opts.events, 0),
      redisBytesPerEventArchived: round((memoryArchived - memoryBefore) / opts.events, 1),
      liveEventsAfter: await redis.llen(keys.auditEvents()),
      archiveSeconds: round(archived.seconds, 2),
      apiVerifySecondsBefore: round(before.seconds, 3),
      apiVerifySecondsAfter: round(after.seconds, 3),
      fullVerifySecondsAfter: round(full.seconds, 2),
      rareActorSearchSecondsBefore: round(rareBefore.seconds, 3),
      rareActorSearchSecondsAfter: round(rareAfter.seconds, 3),
      rareActorPagesBefore: rareBefore.value.pages,
    };
  } finally {
    const stale = await redis.keys(`${keys.prefix}:*`);
    for (let i = 0; i < stale.length; i += 1000) await redis.del(...stale.slice(i, i + 1000));
    redis.disconnect();
  }
}
