import type { JobsOptions } from 'bullmq';
import type { RevocationTrigger } from '../domain/types.js';
import type { NotificationEvent } from '../notify/webhook-notifier.js';

/**
 * The one place that declares every job: its queue, its payload (ids only,
 * never secrets) and its options. The handler table in worker-host.ts is typed
 * from JobPayloads, so a job without a handler does not compile.
 */
export interface JobPayloads {
  provision: { requestId: string; attempt: number };
  revoke: { requestId: string; trigger: RevocationTrigger };
  depart: { personId: string };
  /** Expiry sweeper: revokes anything overdue in the validTo index; ends contracts that passed. */
  sweep: Record<string, never>;
  /** Directory reconciliation: orphans, drift, store/directory disagreement. */
  reconcile: Record<string, never>;
  /** Deletes accounts disabled longer than retentionDays. */
  purge: Record<string, never>;
  /** Delivers one notification to one configured webhook. */
  notify: { event: NotificationEvent; requestId: string; hook: number };
  /** Imports vendor binds from the OpenLDAP accesslog as session events (audit/sessions/accesslog-importer.ts). */
  'accesslog-import': Record<string, never>;
}
export type JobName = keyof JobPayloads;

/**
 * Reconciliation has a queue of its own: a pass walks the whole vendor
 * container and may take minutes on a large directory, and on the shared
 * maintenance queue (one job at a time) the expiry sweeper — layer 3 of
 * revocation — waited behind it. Retention purges go with it (directory-bound too).
 */
export const QUEUES = ['provisioning', 'revocation', 'maintenance', 'reconciliation', 'notifications'] as const;
export type QueueName = (typeof QUEUES)[number];

/** Exponential backoff with full jitter, capped: the 'jittered' strategy registered on every worker. */
export const BACKOFF_BASE_MS = 500;
export const BACKOFF_CAP_MS = 30_000;
export function jitteredBackoff(attemptsMade: number, random: () => number = Math.random, capMs = BACKOFF_CAP_MS): number {
  const ceiling = Math.min(capMs, BACKOFF_BASE_MS * 2 ** Math.max(0, attemptsMade - 1));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

const retrying = { backoff: { type: 'jittered' }, removeOnComplete: { count: 1000 }, removeOnFail: { count: 5000 } } as const;

/** Revocations retry at least every few seconds, so access ends soon after the directory returns. */
export const REVOKE_BACKOFF_CAP_MS = 4000;

export const JOBS: { [K in JobName]: { queue: QueueName; options: JobsOptions; backoffCapMs?: number } } = {
  // ~20 tries over ~8 minutes, then the request is marked failed for an admin to retry.
  provision: { queue: 'provisioning', options: { ...retrying, attempts: 20 } },
  // A revocation never gives up: the sweeper re-queues it anyway, but the job itself keeps trying.
  revoke: { queue: 'revocation', options: { ...retrying, attempts: 1_000_000 }, backoffCapMs: REVOKE_BACKOFF_CAP_MS },
  depart: { queue: 'revocation', options: { ...retrying, attempts: 1_000_000 }, backoffCapMs: REVOKE_BACKOFF_CAP_MS },
  sweep: { queue: 'maintenance', options: { removeOnComplete: true, removeOnFail: { count: 100 } } },
  reconcile: { queue: 'reconciliation', options: { removeOnComplete: true, removeOnFail: { count: 100 } } },
  purge: { queue: 'reconciliation', options: { ...retrying, attempts: 5 } },
  // Up to ~1 hour of retries for a receiver that is down.
  notify: { queue: 'notifications', options: { ...retrying, attempts: 40 } },
  // Repeating; a failed run is simply done again by the next one (the cursor only moves after a run succeeds).
  'accesslog-import': { queue: 'maintenance', options: { removeOnComplete: true, removeOnFail: { count: 100 } } },
};

/** Job ids: BullMQ deduplicates on them (ids may not contain ':'). */
export const jobIds = {
  provision: (requestId: string, attempt: number) => `provision-${requestId}-${attempt}`,
  revoke: (requestId: string, trigger: RevocationTrigger, scheduled: boolean) =>
    scheduled ? `revoke-${requestId}-${trigger}-at` : `revoke-${requestId}-${trigger}`,
  depart: (personId: string) => `depart-${personId}`,
};
