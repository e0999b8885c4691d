import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Redis } from 'ioredis';
import type { RedisKeys } from '../../store/redis-keys.js';
import { AuditCheckpointStore } from '../audit-checkpoint.store.js';
import { GENESIS } from '../audit-reader.js';
import type { ArchivedPart } from '../audit-verifier.js';
import { ChainChecker, parseEvent, type VerifyFailure, type VerifyResult } from '../chain-checker.js';
import { loadReanchors } from '../reanchor.js';
import { AuditTrail } from './audit-trail.js';
import { SessionArchive } from '../../sessions/session-archive.js';
import { alteredSegment, missingSegment, SegmentFiles } from './segment-files.js';
import { checkSeals, sealEventMismatch, type Seal } from './segment-seal.js';

function failure(firstBadSeq: number, reason: string, count: number): VerifyFailure {
  return { ok: false, firstBadSeq, reason, count };
}

/**
 * The whole chain as one: every sealed segment read from `dir` (its bytes
 * must match the SHA-256 in its seal, its events must chain on from the
 * segment before and end at the hash the seal names), then the live tail in
 * Redis, up to the recorded head. Checkpoints, re-anchors and the
 * `audit.segment_sealed` events are checked as in Redis; then every session
 * file that retention archived (`session.archived` events) must still hash to
 * the SHA-256 the trail recorded. Cost: every event once (10–30 µs each) and
 * every archived session file read once.
 */
export async function verifyWithArchive(
  redis: Redis,
  keys: RedisKeys,
  dir: string,
  reanchorKey?: Buffer,
): Promise<VerifyResult & { archived?: ArchivedPart; archivedSessions?: number }> {
  const files = new SegmentFiles(dir);
  const trail = new AuditTrail(redis, keys, files);
  const { head, base, length, seals } = await trail.snapshot();
  const problem = checkSeals(seals, base);
  if (problem) return failure(problem.seq, problem.reason, 0);
  const sealed = seals as Seal[];
  const pins = new Map((await new AuditCheckpointStore(redis, keys).after(0)).map((c) => [c.seq, c.hash]));
  const checker = new ChainChecker(GENESIS, pins, await loadReanchors(redis, keys, reanchorKey));
  let count = 0;
  const sessionFiles: { seq: number; id: string; file: string; sha256: string }[] = [];
  const feed = (line: string): VerifyFailure | undefined => {
    const broken = checker.next(line);
    if (broken) return broken;
    count++;
    if (line.includes(SESSION_ARCHIVED)) {
      const e = parseEvent(line);
      if (typeof e !== 'string' && e.action === SESSION_ARCHIVED && typeof e.details.file === 'string' && typeof e.details.sha256 === 'string')
        sessionFiles.push({ seq: e.seq, id: e.subject.replace(/^session:/, ''), file: e.details.file, sha256: e.details.sha256 });
    }
    const mismatch = sealEventMismatch(line, sealed);
    return mismatch ? failure(count, mismatch, count - 1) : undefined;
  };
  for (const seal of sealed) {
    const read = await files.readSealed(seal);
    if (!read) return failure(seal.fromSeq, missingSegment(seal, dir), count);
    for (const line of read.lines) {
      const broken = feed(line);
      if (broken) return broken;
      if (count === seal.toSeq) break;
    }
    if (count !== seal.toSeq) return failure(count + 1, `segment ${seal.segment} (${seal.file}) ends at seq ${count}, its seal at seq ${seal.toSeq}`, count);
    if (read.lines.length !== seal.toSeq - seal.fromSeq + 1)
      return failure(seal.toSeq + 1, `segment ${seal.segment} (${seal.file}) holds lines after seq ${seal.toSeq}`, count);
    if (read.altered) return failure(seal.fromSeq, alteredSegment(seal), count);
    const last = parseEvent(read.lines.at(-1)!);
    if (typeof last === 'string' || last.hash !== seal.lastHash) return failure(seal.toSeq, `seq ${seal.toSeq} does not match the hash its seal names`, count);
  }
  for await (const line of trail.lines(base + 1, Math.max(base + length, head?.seq ?? 0))) {
    const broken = feed(line);
    if (broken) return broken;
  }
  const result = checker.finish(head);
  if (!result.ok) return result;
  // The session logs archived by retention: each file must still hash to what the trail recorded for it.
  for (const s of sessionFiles) {
    let sha256: string;
    try {
      sha256 = createHash('sha256')
        .update(await readFile(join(dir, s.file)))
        .digest('hex');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      return failure(s.seq, `the archived session ${s.file} recorded at seq ${s.seq} is missing from ${dir}`, count);
    }
    if (sha256 !== s.sha256)
      return failure(s.seq, `the archived session ${s.file} recorded at seq ${s.seq} was altered: its SHA-256 differs from the trail's`, count);
  }
  // Reads by id go through the shard manifests: each line must be what the trail recorded, and the trail must record each.
  const recorded = new Map(sessionFiles.map((s) => [s.id, s]));
  const listed = new Set<string>();
  for (const line of await new SessionArchive(dir).shardLines()) {
    listed.add(line.id);
    const s = recorded.get(line.id);
    // Listed but not yet recorded while the session is still in Redis: an archival under way (or to be retried), not a break.
    if (!s && (await redis.exists(keys.sessions('rec', line.id)))) continue;
    if (!s) return failure(count + 1, `the session manifests list ${line.id}, but no session.archived event in the trail records it`, count);
    if (line.file !== s.file || line.sha256 !== s.sha256)
      return failure(s.seq, `the manifest line of archived session ${line.id} differs from what seq ${s.seq} recorded (file or SHA-256)`, count);
  }
  const unlisted = sessionFiles.find((s) => !listed.has(s.id));
  if (unlisted) return failure(unlisted.seq, `the archived session ${unlisted.id} recorded at seq ${unlisted.seq} is in no shard manifest`, count);
  return { ...result, ...(base > 0 ? { archived: { segments: sealed.length, throughSeq: base } } : {}), archivedSessions: sessionFiles.length };
}

/** The audit action retention archival records a session's file and hash with (src/sessions/session-archiver.service.ts). */
const SESSION_ARCHIVED = 'session.archived';
