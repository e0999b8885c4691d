import type { Redis } from 'ioredis';
import { ValidationError } from '../errors.js';
import type { RedisKeys } from '../store/redis-keys.js';
import { AuditCheckpointStore } from './audit-checkpoint.store.js';
import { ArchiveUnavailable, AuditTrail } from './archive/audit-trail.js';
import { alteredSegment, missingSegment, type SegmentFiles } from './archive/segment-files.js';
import { SealChainCheck, sealEventMismatch, type Seal } from './archive/segment-seal.js';
import { CHUNK, GENESIS, readHead } from './audit-reader.js';
import { ChainChecker, EDITED, parseEvent, type ChainHead, type VerifyFailure, type VerifyResult } from './chain-checker.js';
import { readCompleteLines, readLines } from './jsonl-file.js';
import { checkReanchor, loadReanchors, REANCHOR_ACTION, type ReanchorVerdict } from './reanchor.js';

export type { VerifyFailure, VerifyResult } from './chain-checker.js';

/** Where verification of the Redis trail starts. */
export interface VerifyFrom {
  /** Verify from this seq, trusting the stored hash of the event before it. */
  fromSeq?: number;
  /** Verify from the newest checkpoint (the whole chain when there is none). */
  fromCheckpoint?: boolean;
}

/** A mirror file's verdict; when compared with Redis, how far it lags. */
export type FileVerifyResult = VerifyResult & { behindBy?: number };

async function checkFile(path: string, reanchors: ReadonlyMap<number, ReanchorVerdict>): Promise<VerifyResult> {
  const checker = new ChainChecker(undefined, undefined, reanchors);
  for await (const line of readLines(path)) if (checker.next(line)) break;
  return checker.finish();
}

/** The `audit.reanchored` events a file holds, checked with `key`, by the seq they re-anchor. */
async function reanchorsInFile(path: string, key: Buffer | undefined): Promise<Map<number, ReanchorVerdict>> {
  const out = new Map<number, ReanchorVerdict>();
  for await (const line of readLines(path)) {
    if (!line.includes(REANCHOR_ACTION)) continue;
    const event = parseEvent(line);
    if (typeof event === 'string' || event.action !== REANCHOR_ACTION) continue;
    const checked = checkReanchor(event.details, key);
    if (checked && event.seq > checked.seq) out.set(checked.seq, checked.verdict);
  }
  return out;
}

/**
 * Verifies a JSON-lines file on its own: every line an event, consecutive
 * seqs from 1, each hash recomputed, each prevHash linked. Needs no Redis, so
 * an archived copy can be checked anywhere. Only when an event fails its hash
 * is the file read again for the re-anchors it records (checked with
 * `reanchorKey`), and once more with them.
 * @throws the file system's error (ENOENT …) when the file cannot be read
 */
export async function verifyJsonlFile(path: string, reanchorKey?: Buffer): Promise<VerifyResult> {
  const first = await checkFile(path, new Map());
  if (first.ok || !first.reason.startsWith(EDITED)) return first;
  const reanchors = await reanchorsInFile(path, reanchorKey);
  return reanchors.size ? checkFile(path, reanchors) : first;
}

/** How often a verifier reads and checks every seal again rather than only the new ones. */
const FULL_SEAL_CHECK_MS = 3_600_000;

/** How much of a verified trail was sealed into the archive (present once anything was). */
export interface ArchivedPart {
  /** Sealed segments whose seals were checked. */
  segments: number;
  /** The last seq sealed and dropped from Redis. */
  throughSeq: number;
}

/** Verifies the trail in Redis (its live tail and the seals of what was archived) and the mirror against it. */
export class AuditVerifier {
  private readonly checkpoints: AuditCheckpointStore;
  private readonly trail: AuditTrail;
  private readonly sealCheck = new SealChainCheck();
  private sealsReadAt = 0;

  /**
   * @param reanchorKey AUDIT_REANCHOR_KEY: without it, a re-anchored event fails as edited (and says why)
   * @param archive ARCHIVE_DIR's segments: lets a verification that starts before the live tail read them
   */
  constructor(
    private readonly redis: Redis,
    private readonly keys: RedisKeys,
    private readonly reanchorKey?: Buffer,
    archive?: SegmentFiles,
  ) {
    this.checkpoints = new AuditCheckpointStore(redis, keys);
    this.trail = new AuditTrail(redis, keys, archive);
  }

  /**
   * Verifies the trail up to the head recorded with it. By default that is
   * the seal chain of the archived segments (one record each) and the live
   * tail in Redis anchored on the last seal, so its cost follows the live
   * window, not the history; `fromSeq` earlier than the tail reads the
   * archive too (when this process has it). Every checkpoint in range must
   * match the chain, every `audit.segment_sealed` event its seal, and the
   * list must end exactly at the head (no truncation, nothing appended
   * behind the transactor's back).
   * @throws ValidationError when `fromSeq` lies beyond the head
   */
  async verifyRedis(from: VerifyFrom = {}): Promise<VerifyResult & { archived?: ArchivedPart }> {
    // New seals are checked on each call; all of them again at least hourly, so that an edit of an older seal
    // alone (which breaks the seal chain without touching the last seal) is found by a long-running process too.
    if (Date.now() - this.sealsReadAt >= FULL_SEAL_CHECK_MS) {
      this.trail.forgetSeals();
      this.sealsReadAt = Date.now();
    }
    const snap = await this.trail.snapshot();
    const { head, base, length, seals } = snap;
    if (from.fromSeq !== undefined && from.fromSeq - 1 > (head?.seq ?? 0))
      throw new ValidationError(`fromSeq ${from.fromSeq} is beyond the head of the trail (seq ${head?.seq ?? 0})`, [
        { field: 'fromSeq', message: 'beyond the head of the trail' },
      ]);
    const problem = this.sealCheck.check(seals, base, this.trail.generation);
    if (problem) return { ok: false, firstBadSeq: problem.seq, reason: problem.reason, count: 0 };
    const sealed = seals as Seal[];
    const anchor = await this.anchor(from, base, sealed.at(-1));
    if ('ok' in anchor) return anchor;
    const pins = new Map((await this.checkpoints.after(anchor.seq)).map((c) => [c.seq, c.hash]));
    const checker = new ChainChecker(anchor, pins, await loadReanchors(this.redis, this.keys, this.reanchorKey));
    let sealMismatch: VerifyFailure | undefined;
    // Position base+i+1 holds seq base+i+1 in an intact list; read to its actual end so that extra lines show.
    for await (const line of this.trail.lines(anchor.seq + 1, Math.max(base + length, head?.seq ?? 0))) {
      if (checker.next(line)) break;
      const mismatch = sealMismatch ? undefined : sealEventMismatch(line, sealed);
      if (mismatch) sealMismatch = this.differ((parseEvent(line) as { seq: number }).seq, mismatch, 0);
    }
    const result = checker.finish(head);
    if (!result.ok) return result;
    if (sealMismatch) return sealMismatch;
    return base > 0 ? { ...result, archived: { segments: sealed.length, throughSeq: base } } : result;
  }

  /**
   * Verifies what vouches for the events at `seqs` without reading the
   * whole history between them and the head: each sealed segment holding one
   * of them (its file's SHA-256 against its seal, its chain from the seal
   * before to its own last hash), the seal chain, and the live tail up to the
   * head. Without sealed segments among them (or without the archive here)
   * it is verifyRedis from the oldest of them. Evidence packs use it.
   */
  async verifyCovering(seqs: readonly number[]): Promise<VerifyResult> {
    const oldest = Math.min(...seqs);
    const { base } = await this.trail.snapshot();
    const files = this.trail.archive;
    if (!Number.isFinite(oldest) || oldest > base || !files) return this.verifyRedis({ fromSeq: Number.isFinite(oldest) ? oldest : undefined });
    const tail = await this.verifyRedis();
    if (!tail.ok) return tail;
    const seals = (await this.trail.sealList()).filter((s): s is Seal => typeof s !== 'string');
    const holding = [...new Set(seqs.filter((q) => q <= base).map((q) => seals.findIndex((s) => q >= s.fromSeq && q <= s.toSeq)))].sort((a, b) => a - b);
    const reanchors = await loadReanchors(this.redis, this.keys, this.reanchorKey);
    let count = tail.count;
    for (const i of holding) {
      const seal = seals[i]!;
      const before = seals[i - 1];
      const read = await files.readSealed(seal);
      if (!read) return this.differ(seal.fromSeq, missingSegment(seal, files.dir), count);
      const checker = new ChainChecker(before ? { seq: before.toSeq, hash: before.lastHash } : GENESIS, undefined, reanchors);
      for (const line of read.lines) if (checker.next(line)) break;
      const result = checker.finish({ seq: seal.toSeq, hash: seal.lastHash });
      if (!result.ok) return { ...result, count: count + result.count };
      if (read.altered) return this.differ(seal.fromSeq, alteredSegment(seal), count);
      count += result.count;
    }
    const first = holding.length ? seals[holding[0]!]!.fromSeq : tail.fromSeq;
    return { ...tail, count, fromSeq: first };
  }

  /**
   * Verifies a mirror file and compares it with the trail up to the seqs both
   * hold: the file must hold a verified chain and the same events (same
   * hashes) as the trail. The mirror lags Redis by design, so a file shorter
   * than Redis is not broken, only behind (`behindBy`, for information). The
   * file is read as it stood when verification began (complete lines only),
   * and a line past the head read at the start sends the verifier back to
   * Redis for the current head, since the writer may have mirrored events
   * committed meanwhile; only a file that runs past the current head means
   * Redis lost events. Archived events are compared with their segments when
   * this process has the archive, and only chain-checked otherwise.
   */
  async verifyFile(path: string): Promise<FileVerifyResult> {
    let headSeq = await this.headSeq();
    const checker = new ChainChecker(undefined, undefined, await loadReanchors(this.redis, this.keys, this.reanchorKey));
    let index = 0;
    let chunk: string[] = [];
    let chunkStart = 0;
    // A process that does not write the mirror may have no file yet: that is "behind", not broken.
    for await (const line of readCompleteLines(path)) {
      const failure = checker.next(line);
      if (failure) return failure;
      if (index >= headSeq) headSeq = await this.headSeq();
      if (index >= headSeq)
        return this.differ(index + 1, `the file has seq ${index + 1} but Redis ends at seq ${headSeq}: Redis lost events or the file was extended`, index);
      if (index - chunkStart >= chunk.length) {
        chunkStart = index;
        chunk = await this.comparable(index + 1, Math.min(index + CHUNK, headSeq));
      }
      const stored = chunk[index - chunkStart];
      const fileEvent = parseEvent(line);
      const trailEvent = stored === undefined ? 'missing' : stored === SKIP ? fileEvent : parseEvent(stored);
      if (typeof fileEvent === 'string' || typeof trailEvent === 'string' || trailEvent.seq !== fileEvent.seq || trailEvent.hash !== fileEvent.hash)
        return this.differ(index + 1, `the file and Redis differ at seq ${index + 1}`, index);
      index++;
    }
    const result = checker.finish();
    return result.ok ? { ...result, behindBy: Math.max(0, headSeq - index) } : result;
  }

  /** Lines from..to to compare a file with; SKIP for archived ones this process cannot read. */
  private async comparable(from: number, to: number): Promise<string[]> {
    try {
      return await this.trail.range(from, to);
    } catch (err) {
      if (!(err instanceof ArchiveUnavailable)) throw err;
      const { base } = await this.trail.snapshot();
      const live = base < to ? await this.trail.range(Math.max(from, base + 1), to) : [];
      return [...Array<string>(Math.max(0, Math.min(to, base) - from + 1)).fill(SKIP), ...live];
    }
  }

  private async headSeq(): Promise<number> {
    const { head } = await readHead(this.redis, this.keys.auditHead(), this.keys.auditEvents());
    return head?.seq ?? 0;
  }

  private differ(seq: number, reason: string, checked: number): VerifyFailure {
    return { ok: false, firstBadSeq: seq, reason, count: checked };
  }

  /**
   * The trusted link to start from, or a failure when the starting point
   * itself is wrong. The last seal anchors the live tail; a start before it
   * reads the archive, and falls back to the seal when there is none here.
   */
  private async anchor(from: VerifyFrom, base: number, lastSeal: Seal | undefined): Promise<ChainHead | VerifyFailure> {
    const sealAnchor: ChainHead = lastSeal ? { seq: lastSeal.toSeq, hash: lastSeal.lastHash } : GENESIS;
    let seq: number;
    let expectedHash: string | undefined;
    if (from.fromCheckpoint) {
      const latest = await this.checkpoints.latest();
      if (!latest || latest.seq <= base) return sealAnchor;
      seq = latest.seq;
      expectedHash = latest.hash;
    } else if (from.fromSeq !== undefined && from.fromSeq > 1) {
      seq = from.fromSeq - 1;
      if (seq === base || (seq < base && !this.trail.archive)) return sealAnchor;
    } else {
      return sealAnchor;
    }
    const raw = await this.trail.line(seq);
    const event = raw === null ? 'missing' : parseEvent(raw);
    if (typeof event === 'string' || event.seq !== seq)
      return {
        ok: false,
        firstBadSeq: seq,
        reason: `the starting event (seq ${seq}) is ${typeof event === 'string' ? event : `at the wrong position (found seq ${event.seq})`}`,
        count: 0,
      };
    if (expectedHash !== undefined && event.hash !== expectedHash)
      return { ok: false, firstBadSeq: seq, reason: `event ${seq} does not match the checkpoint taken at it`, count: 0 };
    return { seq, hash: event.hash };
  }
}

/** Marks an archived line that this process cannot read, so a file comparison passes over it. */
const SKIP = '\u0000archived';
