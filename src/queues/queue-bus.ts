import { Queue, type ConnectionOptions } from 'bullmq';
import type { Redis } from 'ioredis';
import { EXPIRY_SLOT_MS, expirySlot, type JobScheduler } from '../domain/ports/job-scheduler.port.js';
import type { RevocationTrigger } from '../domain/types.js';
import { addToFeed, type ProvisionFeedKeys } from './provision-feed.js';
import { JOBS, jobIds, QUEUES, type JobName, type JobPayloads, type QueueName, type Repeat, type RepeatingJob } from './job-registry.js';

/** Slots remembered at most (a day of approvals at one per 100 ms); past it the memory starts again. */
const MAX_REMEMBERED_ALARMS = 100_000;

/** The producer side: typed enqueueing onto the BullMQ queues. */
export class QueueBus implements JobScheduler {
  readonly queues: Record<QueueName, Queue>;
  /** Future expiry slots whose alarm this process queued: a burst of approvals ending in one slot asks Redis once. */
  private readonly queuedAlarms = new Set<number>();

  constructor(
    connection: ConnectionOptions,
    readonly prefix: string,
    private readonly now: () => Date,
    /** A queue's connection failed (Redis restarting, a Sentinel failover); BullMQ reconnects by itself. Unheard, BullMQ prints it to stderr. */
    onError: (queue: QueueName, err: Error) => void = () => undefined,
    /** Provisioning's own queue in the store (the service always gives it; a bus made only to queue other jobs may not). */
    private readonly feed?: { redis: Redis; keys: ProvisionFeedKeys },
  ) {
    this.queues = Object.fromEntries(
      QUEUES.map((name) => {
        const queue = new Queue(name, { connection, prefix });
        queue.on('error', (err) => onError(name, err));
        return [name, queue];
      }),
    ) as Record<QueueName, Queue>;
  }

  async add<K extends JobName>(name: K, data: JobPayloads[K], options: { jobId?: string; delayMs?: number } = {}): Promise<void> {
    const spec = JOBS[name];
    await this.queues[spec.queue].add(name, data, {
      ...spec.options,
      ...(options.jobId ? { jobId: options.jobId } : {}),
      ...(options.delayMs && options.delayMs > 0 ? { delay: options.delayMs } : {}),
    });
  }

  /**
   * Into the provisioning feed, due at validFrom (one round trip; ProvisionFeed runs it). Without a feed, as a
   * BullMQ job, the form a failed attempt's retries take anyway.
   */
  scheduleProvision(requestId: string, attempt: number, validFrom: Date): Promise<void> {
    if (this.feed) return addToFeed(this.feed.redis, this.feed.keys, { requestId, attempt }, validFrom);
    return this.provisionJob(requestId, attempt, this.delayUntil(validFrom));
  }

  /** A provisioning attempt as a BullMQ job: retried with backoff, failed for good after its attempts. */
  provisionJob(requestId: string, attempt: number, delayMs: number): Promise<void> {
    return this.add('provision', { requestId, attempt }, { jobId: jobIds.provision(requestId, attempt), delayMs });
  }

  scheduleRevoke(requestId: string, trigger: RevocationTrigger): Promise<void> {
    return this.add('revoke', { requestId, trigger }, { jobId: jobIds.revoke(requestId, trigger) });
  }

  /**
   * The slot's alarm, at the slot's end. BullMQ keeps one job per id; a slot this process already queued is not
   * even asked of Redis again.
   */
  async scheduleExpiry(validTo: Date): Promise<void> {
    const slot = expirySlot(validTo);
    const delayMs = this.delayUntil(new Date(slot * EXPIRY_SLOT_MS));
    // A future slot this process has queued still has its job (an alarm leaves only once it has run), unless
    // Redis lost it: forgetQueuedAlarms() after every reconnect, before the worker's catch-up queues them again.
    if (delayMs > 0 && this.queuedAlarms.has(slot)) return;
    await this.add('expire', { slot }, { jobId: jobIds.expire(slot), delayMs });
    if (delayMs <= 0) return;
    if (this.queuedAlarms.size >= MAX_REMEMBERED_ALARMS) this.queuedAlarms.clear();
    this.queuedAlarms.add(slot);
  }

  /** Forgets which alarms this process queued (Redis came back and may have lost the newest). */
  forgetQueuedAlarms(): void {
    this.queuedAlarms.clear();
  }

  scheduleDeparture(personId: string, at: Date): Promise<void> {
    return this.add('depart', { personId }, { jobId: jobIds.depart(personId), delayMs: this.delayUntil(at) });
  }

  /**
   * Upserts the BullMQ job scheduler of each repeating job (job-registry.ts
   * REPEATING.jobs, intervals from `repeatingJobs(config)`): upserted, so every
   * process may call this.
   */
  async scheduleRepeating(schedules: Partial<Record<RepeatingJob, Repeat>>): Promise<void> {
    for (const [name, repeat] of Object.entries(schedules) as [RepeatingJob, Repeat][]) await this.repeat(name, repeat);
  }

  /** Upserts the job's scheduler on its registry queue, dropping one a previous version left on another queue. */
  private async repeat(name: RepeatingJob, repeat: Repeat): Promise<void> {
    const spec = JOBS[name];
    for (const other of QUEUES) if (other !== spec.queue) await this.queues[other].removeJobScheduler(name);
    const when = typeof repeat === 'number' ? { every: repeat * 1000 } : { pattern: repeat.pattern, tz: repeat.tz };
    await this.queues[spec.queue].upsertJobScheduler(name, when, { name, data: {}, opts: spec.options });
  }

  async close(): Promise<void> {
    await Promise.all(Object.values(this.queues).map((q) => q.close()));
  }

  private delayUntil(at: Date): number {
    return Math.max(0, at.getTime() - this.now().getTime());
  }
}
