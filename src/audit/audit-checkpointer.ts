import type { Redis } from 'ioredis';
import type { Logger } from '../logger.js';
import type { RedisKeys } from '../store/redis-keys.js';
import type { AuditInput } from './audit-event.js';
import { AuditCheckpointStore, type Checkpoint } from './audit-checkpoint.store.js';
import { AuditVerifier, type VerifyFailure } from './audit-verifier.js';
import { IntervalTask } from './interval-task.js';

export interface AuditCheckpointerOptions {
  redis: Redis;
  keys: RedisKeys;
  logger: Logger;
  now: () => Date;
  /** 0 turns the timer off (checkpoint() still works). */
  intervalMs: number;
  /** Only one process needs to checkpoint: the service passes "holds the mirror lease". */
  shouldRun?: () => boolean;
  /** Records a broken chain in the trail itself (once per break). */
  audit?: (event: AuditInput) => Promise<void>;
  /** AUDIT_REANCHOR_KEY, to accept events re-anchored with it. */
  reanchorKey?: Buffer;
}

/**
 * Periodically verifies the trail from the newest checkpoint to the head and,
 * when intact, checkpoints the head. Verifying only since the last
 * checkpoint keeps each round cheap; each checkpoint therefore vouches for
 * the whole chain before it, and later verifications start from it.
 * A break is logged as an ERROR (someone must act) and not checkpointed.
 */
export class AuditCheckpointer {
  private readonly store: AuditCheckpointStore;
  private readonly verifier: AuditVerifier;
  private readonly task: IntervalTask;
  private reportedBreak: number | undefined;

  constructor(private readonly opts: AuditCheckpointerOptions) {
    this.store = new AuditCheckpointStore(opts.redis, opts.keys);
    this.verifier = new AuditVerifier(opts.redis, opts.keys, opts.reanchorKey);
    this.task = new IntervalTask(
      opts.intervalMs,
      () => this.checkpoint(),
      (err) => opts.logger.warn('audit checkpoint failed; will retry', { error: err.message }),
      opts.shouldRun,
    );
  }

  start(): void {
    this.task.start();
  }

  stop(): Promise<void> {
    return this.task.stop();
  }

  /** Verifies since the newest checkpoint; returns the new checkpoint, null when nothing is new, or the break. */
  async checkpoint(): Promise<Checkpoint | VerifyFailure | null> {
    const result = await this.verifier.verifyRedis({ fromCheckpoint: true });
    if (!result.ok) {
      if (this.reportedBreak !== result.firstBadSeq) {
        this.reportedBreak = result.firstBadSeq;
        this.opts.logger.error('audit trail verification failed', { firstBadSeq: result.firstBadSeq, reason: result.reason });
        await this.opts.audit?.({
          actor: 'system',
          action: 'audit.verify_failed',
          subject: 'audit:trail',
          outcome: 'failure',
          details: { firstBadSeq: result.firstBadSeq, reason: result.reason },
        });
      }
      return result;
    }
    this.reportedBreak = undefined;
    if (!result.head) return null;
    const latest = await this.store.latest();
    if (latest && latest.seq >= result.head.seq) return null;
    const checkpoint = { ...result.head, at: this.opts.now().toISOString() };
    return (await this.store.add(checkpoint)) ? checkpoint : null;
  }
}
