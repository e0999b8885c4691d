import type { Redis } from 'ioredis';
import { ValidationError } from '../errors.js';
import type { RedisKeys } from '../store/redis-keys.js';
import { AuditCheckpointStore } from './audit-checkpoint.store.js';
import { CHUNK, GENESIS, readHead, readRange } from './audit-reader.js';
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

/** Verifies the trail in Redis and the mirror against it. */
export class AuditVerifier {
  private readonly checkpoints: AuditCheckpointStore;

  /** @param reanchorKey AUDIT_REANCHOR_KEY: without it, a re-anchored event fails as edited (and says why) */
  constructor(
    private readonly redis: Redis,
    private readonly keys: RedisKeys,
    private readonly reanchorKey?: Buffer,
  ) {
    this.checkpoints = new AuditCheckpointStore(redis, keys);
  }

  /**
   * Verifies the Redis trail, whole or from a starting point, up to the head
   * recorded with it. Every checkpoint in range must match the chain, and the
   * list must end exactly at the head (no truncation, nothing appended
   * behind the transactor's back).
   * @throws ValidationError when `fromSeq` lies beyond the head
   */
  async verifyRedis(from: VerifyFrom = {}): Promise<VerifyResult> {
    const eventsKey = this.keys.auditEvents();
    const { head, length } = await readHead(this.redis, this.keys.auditHead(), eventsKey);
    if (from.fromSeq !== undefined && from.fromSeq - 1 > (head?.seq ?? 0))
      throw new ValidationError(`fromSeq ${from.fromSeq} is beyond the head of the trail (seq ${head?.seq ?? 0})`, [
        { field: 'fromSeq', message: 'beyond the head of the trail' },
      ]);
    const anchor = await this.anchor(from);
    if ('ok' in anchor) return anchor;
    const pins = new Map((await this.checkpoints.after(anchor.seq)).map((c) => [c.seq, c.hash]));
    const checker = new ChainChecker(anchor, pins, await loadReanchors(this.redis, this.keys, this.reanchorKey));
    // Index i holds seq i+1 in an intact list; read to its actual end so that extra lines show.
    for await (const line of readRange(this.redis, eventsKey, anchor.seq, Math.max(length, head?.seq ?? 0) - 1)) {
      if (checker.next(line)) break;
    }
    return checker.finish(head);
  }

  /**
   * Verifies a mirror file and compares it with Redis up to the seqs both
   * hold: the file must hold a verified chain and the same events (same
   * hashes) as Redis. The mirror lags Redis by design, so a file shorter than
   * Redis is not broken, only behind (`behindBy`, for information). The file
   * is read as it stood when verification began (complete lines only), and a
   * line past the head read at the start sends the verifier back to Redis for
   * the current head, since the writer may have mirrored events committed
   * meanwhile; only a file that runs past the current head means Redis lost
   * events.
   */
  async verifyFile(path: string): Promise<FileVerifyResult> {
    const eventsKey = this.keys.auditEvents();
    let headSeq = await this.headSeq();
    const checker = new ChainChecker(undefined, undefined, await loadReanchors(this.redis, this.keys, this.reanchorKey));
    let index = 0;
    let redisChunk: string[] = [];
    let chunkStart = 0;
    // A process that does not write the mirror may have no file yet: that is "behind", not broken.
    for await (const line of readCompleteLines(path)) {
      const failure = checker.next(line);
      if (failure) return failure;
      if (index >= headSeq) headSeq = await this.headSeq();
      if (index >= headSeq)
        return this.differ(index + 1, `the file has seq ${index + 1} but Redis ends at seq ${headSeq}: Redis lost events or the file was extended`, index);
      if (index - chunkStart >= redisChunk.length) {
        chunkStart = index;
        redisChunk = await this.redis.lrange(eventsKey, index, Math.min(index + CHUNK - 1, headSeq - 1));
      }
      const stored = redisChunk[index - chunkStart];
      const fileEvent = parseEvent(line);
      const redisEvent = stored === undefined ? 'missing' : parseEvent(stored);
      if (typeof fileEvent === 'string' || typeof redisEvent === 'string' || redisEvent.seq !== fileEvent.seq || redisEvent.hash !== fileEvent.hash)
        return this.differ(index + 1, `the file and Redis differ at seq ${index + 1}`, index);
      index++;
    }
    const result = checker.finish();
    return result.ok ? { ...result, behindBy: Math.max(0, headSeq - index) } : result;
  }

  private async headSeq(): Promise<number> {
    const { head } = await readHead(this.redis, this.keys.auditHead(), this.keys.auditEvents());
    return head?.seq ?? 0;
  }

  private differ(seq: number, reason: string, checked: number): VerifyFailure {
    return { ok: false, firstBadSeq: seq, reason, count: checked };
  }

  /** The trusted link to start from, or a failure when the starting point itself is wrong. */
  private async anchor(from: VerifyFrom): Promise<ChainHead | VerifyFailure> {
    let seq = 0;
    let expectedHash: string | undefined;
    if (from.fromCheckpoint) {
      const latest = await this.checkpoints.latest();
      if (!latest) return GENESIS;
      seq = latest.seq;
      expectedHash = latest.hash;
    } else if (from.fromSeq !== undefined && from.fromSeq > 1) {
      seq = from.fromSeq - 1;
    }
    if (seq === 0) return GENESIS;
    const raw = await this.redis.lindex(this.keys.auditEvents(), seq - 1);
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
