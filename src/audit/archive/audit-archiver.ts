import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { LeaseholdError } from '../../errors.js';
import type { Logger } from '../../logger.js';
import type { RedisKeys } from '../../store/redis-keys.js';
import type { Transactor } from '../../store/transactor.js';
import { GENESIS_HASH } from '../audit-event.js';
import { AuditCheckpointStore } from '../audit-checkpoint.store.js';
import { ChainChecker, parseEvent, type ChainHead } from '../chain-checker.js';
import { loadReanchors } from '../reanchor.js';
import { IntervalTask } from '../interval-task.js';
import { RedisLease } from '../redis-lease.js';
import { AuditTrail } from './audit-trail.js';
import { segmentPath, type SegmentFiles } from './segment-files.js';
import { makeSeal, SEALED_ACTION, SealChainCheck, type Seal } from './segment-seal.js';

/** Sealing stopped: the trail (or the archive) is not in a state to seal from; nothing was dropped. */
export class ArchiveRefused extends LeaseholdError {}

export interface AuditArchiverOptions {
  redis: Redis;
  keys: RedisKeys;
  tx: Transactor;
  files: SegmentFiles;
  /** policy.audit.segmentEvents. */
  segmentEvents: number;
  logger: Logger;
  /** 0 turns the timer off (archive() still works). */
  intervalMs: number;
  /** AUDIT_REANCHOR_KEY, to accept events re-anchored with it. */
  reanchorKey?: Buffer;
}

/**
 * Seals the audit chain into segments: every full segment of
 * `segmentEvents` events after the last seal is verified (anchored on the
 * previous seal, checkpoints and re-anchors applied), written to ARCHIVE_DIR
 * and fsynced, read back and verified again, and only then, in one
 * transaction, dropped from the front of the Redis list while its seal is
 * recorded (the seals list, `audit.segment_sealed` in the chain itself) and
 * the checkpoints inside it are dropped too.
 * A crash at any point leaves either the events in Redis (and perhaps a
 * file written twice, identically) or the seal: never neither.
 */
export class AuditArchiver {
  private readonly trail: AuditTrail;
  private readonly lease: RedisLease;
  private readonly sealCheck = new SealChainCheck();
  private readonly task: IntervalTask;

  constructor(private readonly opts: AuditArchiverOptions) {
    this.trail = new AuditTrail(opts.redis, opts.keys, opts.files);
    this.lease = new RedisLease(opts.redis, opts.keys.auditArchiveLease(), randomUUID(), 10 * 60_000);
    this.task = new IntervalTask(
      opts.intervalMs,
      () => this.archive(),
      (err) => opts.logger.error('audit archival failed; will retry', { error: err.message }),
    );
  }

  start(): void {
    this.task.start();
  }

  stop(): Promise<void> {
    return this.task.stop();
  }

  /**
   * Seals every full segment now, one process at a time.
   * @returns the seals made (none when no segment is full), or null when
   *   another process holds the archive lease and is sealing
   * @throws ArchiveRefused when the chain or the seals do not verify
   */
  async archive(): Promise<Seal[] | null> {
    if (!(await this.lease.acquire())) return null;
    try {
      const sealed: Seal[] = [];
      for (let seal = await this.sealNext(); seal; seal = await this.sealNext()) {
        sealed.push(seal);
        this.opts.logger.info('audit segment sealed', { segment: seal.segment, fromSeq: seal.fromSeq, toSeq: seal.toSeq, file: seal.file });
        if (!(await this.lease.acquire())) break;
      }
      return sealed;
    } finally {
      await this.lease.release().catch(() => undefined);
    }
  }

  private async sealNext(): Promise<Seal | undefined> {
    const { head, base, seals } = await this.trail.snapshot();
    const problem = this.sealCheck.check(seals, base, this.trail.generation);
    if (problem) throw new ArchiveRefused(`the seals do not verify (${problem.reason}); nothing is archived until this is resolved`);
    const count = this.opts.segmentEvents;
    if ((head?.seq ?? 0) - base < count) return undefined;
    const previous = seals.at(-1) as Seal | undefined;
    const anchor: ChainHead = previous ? { seq: previous.toSeq, hash: previous.lastHash } : { seq: 0, hash: GENESIS_HASH };
    const fromSeq = base + 1;
    const toSeq = base + count;
    const lines: string[] = [];
    for await (const line of this.trail.lines(fromSeq, toSeq)) lines.push(line);
    const last = await this.verify(anchor, lines, toSeq, 'in Redis');
    const firstAt = (parseEvent(lines[0]!) as { at: string }).at;
    const lastAt = (parseEvent(lines.at(-1)!) as { at: string }).at;

    const segment = seals.length + 1;
    const file = segmentPath(segment, fromSeq, toSeq);
    const sha256 = await this.opts.files.write(file, lines);
    const onDisk = await this.opts.files.read(file);
    if (onDisk.sha256 !== sha256) throw new ArchiveRefused(`${file} does not read back as written; nothing was dropped from Redis`);
    await this.verify(anchor, onDisk.lines, toSeq, `in ${file}`);

    const seal = makeSeal({ segment, fromSeq, toSeq, firstAt, lastAt, lastHash: last.hash, file, sha256, prevSeal: previous?.seal ?? GENESIS_HASH });
    const { keys } = this.opts;
    return this.opts.tx.run([keys.auditBase(), keys.auditSeals()], async (r) => {
      const [nowBase, first, end] = await Promise.all([r.get(keys.auditBase()), r.lindex(keys.auditEvents(), 0), r.lindex(keys.auditEvents(), count - 1)]);
      if (Number(nowBase ?? 0) !== base) throw new ArchiveRefused('another process sealed this segment meanwhile');
      const a = first === null ? 'missing' : parseEvent(first);
      const b = end === null ? 'missing' : parseEvent(end);
      if (typeof a === 'string' || typeof b === 'string' || a.seq !== fromSeq || b.seq !== toSeq || b.hash !== last.hash)
        throw new ArchiveRefused(`the Redis list no longer starts with seq ${fromSeq}…${toSeq} as read; nothing was dropped`);
      return {
        writes: (m) => {
          m.ltrim(keys.auditEvents(), count, -1).set(keys.auditBase(), String(toSeq)).rpush(keys.auditSeals(), JSON.stringify(seal));
          // The checkpoints inside the segment were checked as it was sealed; the seal vouches for it from now on.
          m.zremrangebyscore(keys.auditCheckpoints(), '-inf', String(toSeq));
        },
        events: [{ actor: 'system', action: SEALED_ACTION, subject: `audit:segment:${segment}`, outcome: 'success', details: { ...seal } }],
        result: seal,
      };
    });
  }

  /** The segment's lines must chain from the anchor to exactly `toSeq`; returns its last link. */
  private async verify(anchor: ChainHead, lines: string[], toSeq: number, where: string): Promise<ChainHead> {
    const pins = new Map((await new AuditCheckpointStore(this.opts.redis, this.opts.keys).after(anchor.seq)).map((c) => [c.seq, c.hash]));
    for (const seq of pins.keys()) if (seq > toSeq) pins.delete(seq);
    const checker = new ChainChecker(anchor, pins, await loadReanchors(this.opts.redis, this.opts.keys, this.opts.reanchorKey));
    for (const line of lines) if (checker.next(line)) break;
    const result = checker.finish();
    if (!result.ok) throw new ArchiveRefused(`seq ${result.firstBadSeq} ${where} does not verify (${result.reason}); nothing is archived`);
    if (result.head?.seq !== toSeq) throw new ArchiveRefused(`the segment ${where} ends at seq ${result.head?.seq ?? anchor.seq}, not ${toSeq}`);
    return result.head;
  }
}
