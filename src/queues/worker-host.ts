import { UnrecoverableError, Worker, type ConnectionOptions, type Job, type MinimalJob } from 'bullmq';
import { isPermanentFailure, PermanentJobError } from '../errors.js';
import type { Logger } from '../logger.js';
import { JOBS, jitteredBackoff, QUEUES, STALLS_ALLOWED, type JobName, type JobPayloads, type QueueName } from './job-registry.js';

/** One handler per job; a missing one is a compile error. */
export type JobHandlers = { [K in JobName]: (data: JobPayloads[K], job: Job<JobPayloads[K]>) => Promise<void> };

/** Called once when a job has used up its attempts or failed permanently. */
export type GiveUpHandler = (name: JobName, data: unknown, reason: string) => Promise<void>;

/**
 * What a failed handler's error becomes for BullMQ: a permanent failure — a
 * permanent JobError, a DirectoryError that is not retryable — becomes
 * UnrecoverableError with the same message, so the job stops at once;
 * anything else (transient, retryable, unknown) is rethrown as it is and
 * retried with backoff until its attempts are used up.
 */
export function jobFailure(err: unknown): unknown {
  return isPermanentFailure(err) ? new UnrecoverableError(err.message) : err;
}

/**
 * The consumer side: one BullMQ Worker per queue, dispatching to the handler
 * table. Errors are classified (jobFailure): DirectoryError.retryable,
 * TransientJobError and unknown errors retry with jittered exponential
 * backoff; permanent ones stop at once.
 */
export class WorkerHost {
  private readonly workers: Worker[] = [];

  constructor(
    private readonly deps: {
      connection: ConnectionOptions;
      prefix: string;
      handlers: JobHandlers;
      onGiveUp: GiveUpHandler;
      logger: Logger;
      concurrency: Partial<Record<QueueName, number>>;
      /** Lock duration; stalled jobs of a dead worker are taken over after about this long. */
      lockMs?: number;
    },
  ) {}

  start(): void {
    const { connection, prefix, logger, concurrency } = this.deps;
    for (const queue of QUEUES) {
      const worker = new Worker(queue, (job: Job) => this.dispatch(job), {
        connection,
        prefix,
        concurrency: concurrency[queue] ?? 1,
        maxStalledCount: STALLS_ALLOWED[queue],
        ...(this.deps.lockMs ? { lockDuration: this.deps.lockMs, stalledInterval: Math.max(1000, Math.floor(this.deps.lockMs / 2)) } : {}),
        settings: {
          backoffStrategy: (attemptsMade: number, _type?: string, _err?: Error, job?: MinimalJob) =>
            jitteredBackoff(attemptsMade, Math.random, JOBS[job?.name as JobName]?.backoffCapMs),
        },
      });
      worker.on('failed', (job, err) => {
        if (!job) return;
        const spec = JOBS[job.name as JobName];
        const final = err instanceof UnrecoverableError || job.attemptsMade >= (spec?.options.attempts ?? 1);
        const log = { job: job.name, jobId: job.id, attempt: job.attemptsMade, error: err.message };
        if (!final) {
          logger.warn('job failed, will retry', log);
          return;
        }
        logger.error('job gave up', log);
        this.deps
          .onGiveUp(job.name as JobName, job.data, err.message)
          .catch((e: unknown) => logger.error('recording a failed job failed', { job: job.name, error: String(e) }));
      });
      worker.on('error', (err) => logger.warn('worker connection error', { queue, error: err.message }));
      this.workers.push(worker);
    }
  }

  private async dispatch(job: Job): Promise<void> {
    const name = job.name as JobName;
    const handler = this.deps.handlers[name] as ((data: unknown, job: Job) => Promise<void>) | undefined;
    if (!handler) throw jobFailure(new PermanentJobError(`no handler for job ${job.name}`));
    try {
      await handler(job.data, job);
    } catch (err) {
      throw jobFailure(err);
    }
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.close()));
  }
}
