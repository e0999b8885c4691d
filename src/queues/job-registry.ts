import type { JobsOptions } from 'bullmq';
import type { Config } from '../config/load-config.js';
import type { RevocationTrigger } from '../domain/types.js';
import type { MailJob } from '../notify/mail-notifier.js';
import type { WebhookJob } from '../notify/webhook-notifier.js';

/**
 * The one place that declares every job: its queue, its payload (ids only,
 * never secrets) and its options. The handler table in worker-host.ts is typed
 * from JobPayloads, so a job without a handler does not compile.
 */
export interface JobPayloads {
  provision: { requestId: string; attempt: number };
  revoke: { requestId: string; trigger: RevocationTrigger };
  /**
   * Layer 2 of revocation: the expiry alarm of one slot of validTo (EXPIRY_SLOT_MS), shared by every request
   * expiring in it (ExpiryAlarmService).
   */
  expire: { slot: number };
  depart: { personId: string };
  /** Expiry sweep (SweepService): revokes anything overdue in the validTo index; ends contracts that passed. */
  sweep: Record<string, never>;
  /** Directory reconciliation (ReconcileService): orphans, drift, store/directory disagreement. */
  reconcile: Record<string, never>;
  /** Deletes accounts disabled longer than retentionDays (RetentionService). */
  purge: Record<string, never>;
  /** Archives reviewed sessions older than sessions.retentionDays out of Redis into ARCHIVE_DIR (SessionArchiverService). */
  'session-archive': Record<string, never>;
  /** Delivers one notification to one configured webhook. */
  notify: WebhookJob;
  /** Resolves who is mailed about one event (role members or the requester) and queues one `mail` job each. */
  'mail-fanout': Omit<MailJob, 'to'>;
  /** Sends one mail to one staff member (named by DN; the address is read from the directory when it is sent). */
  mail: MailJob;
  /** The auditors' daily digest: queues one `mail` job per auditor, with a job id per day (MailNotifier.digest). */
  digest: Record<string, never>;
  /** Finds session reviews and machine-room register reviews that became overdue and notifies each once (NotifyWatchService). */
  'notify-watch': Record<string, never>;
  /** Imports vendor binds from the OpenLDAP accesslog as session events (AccesslogImportService). */
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

/**
 * How often a job may be orphaned by its worker dying (BullMQ's "stalled": the lock ran out, another worker
 * takes it over) before BullMQ fails it. BullMQ's default is 1, so a provisioning job whose worker was killed
 * twice failed its request ("job stalled more than allowable limit"; test/integration/chaos-workers.test.ts).
 * A dying worker is not the job's fault: 20 like provisioning's attempts (a job that itself kills every worker
 * that runs it still ends), and a revocation never gives up.
 */
export const STALLS_ALLOWED: Record<QueueName, number> = {
  provisioning: 20,
  revocation: 1_000_000,
  maintenance: 20,
  reconciliation: 20,
  notifications: 20,
};

/** Exponential backoff with full jitter, capped: the 'jittered' strategy registered on every worker. */
const BACKOFF_BASE_MS = 500;
export const BACKOFF_CAP_MS = 30_000;
export function jitteredBackoff(attemptsMade: number, random: () => number = Math.random, capMs = BACKOFF_CAP_MS): number {
  const ceiling = Math.min(capMs, BACKOFF_BASE_MS * 2 ** Math.max(0, attemptsMade - 1));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

const retrying = { backoff: { type: 'jittered' }, removeOnComplete: { count: 1000 }, removeOnFail: { count: 5000 } } as const;
/**
 * The account jobs forget a completed job at once: keeping the last 1,000 cost every completion a ZADD, a ZRANGE,
 * a ZREMRANGEBYRANK and the deletion of the oldest (issue 15), and nothing reads them — the audit trail records
 * each step, and a job added again under a completed job's id finds its request already done (each is idempotent).
 */
const accountJob = { ...retrying, removeOnComplete: true } as const;

/** Revocations retry at least every few seconds, so access ends soon after the directory returns. */
const REVOKE_BACKOFF_CAP_MS = 4000;

export const JOBS: { [K in JobName]: { queue: QueueName; options: JobsOptions; backoffCapMs?: number } } = {
  // ~20 tries over ~8 minutes, then the request is marked failed for an admin to retry.
  provision: { queue: 'provisioning', options: { ...accountJob, attempts: 20 } },
  // A revocation never gives up: the sweeper re-queues it anyway, but the job itself keeps trying.
  revoke: { queue: 'revocation', options: { ...accountJob, attempts: 1_000_000 }, backoffCapMs: REVOKE_BACKOFF_CAP_MS },
  // One job per 100 ms of validTo instead of one per request (issue 15): a second request in the slot costs one
  // deduplicated add. It retries until every revocation due in its slot has succeeded, like revoke.
  expire: { queue: 'revocation', options: { ...accountJob, attempts: 1_000_000 }, backoffCapMs: REVOKE_BACKOFF_CAP_MS },
  depart: { queue: 'revocation', options: { ...accountJob, attempts: 1_000_000 }, backoffCapMs: REVOKE_BACKOFF_CAP_MS },
  sweep: { queue: 'maintenance', options: { removeOnComplete: true, removeOnFail: { count: 100 } } },
  reconcile: { queue: 'reconciliation', options: { removeOnComplete: true, removeOnFail: { count: 100 } } },
  purge: { queue: 'reconciliation', options: { ...retrying, attempts: 5 } },
  'session-archive': { queue: 'reconciliation', options: { ...retrying, attempts: 5 } },
  // Up to ~1 hour of retries for a receiver that is down.
  notify: { queue: 'notifications', options: { ...retrying, attempts: 40 } },
  'mail-fanout': { queue: 'notifications', options: { ...retrying, attempts: 40 } },
  // Completed mails are kept three days: their job ids (one per recipient and event, or day for the digest) then
  // deduplicate a second fan-out or digest tick, so a restart does not send the same mail twice.
  mail: { queue: 'notifications', options: { ...retrying, attempts: 40, removeOnComplete: { age: 3 * 86_400, count: 100_000 } } },
  digest: { queue: 'notifications', options: { removeOnComplete: true, removeOnFail: { count: 100 } } },
  'notify-watch': { queue: 'notifications', options: { removeOnComplete: true, removeOnFail: { count: 100 } } },
  // Repeating; a failed run is simply done again by the next one (the cursor only moves after a run succeeds).
  'accesslog-import': { queue: 'maintenance', options: { removeOnComplete: true, removeOnFail: { count: 100 } } },
};

/** How often something repeats, read from the parsed configuration; and whether this deployment runs it at all. */
export interface RepeatSpec {
  /** Where the interval comes from (policy key or environment variable), for the reader. */
  setting: string;
  everySeconds(config: Config): number;
  /** Absent: always runs. */
  runsWhen?(config: Config): boolean;
}

/** A time of day rather than an interval: a cron pattern in an IANA time zone. */
export interface CalendarRepeat {
  pattern: string;
  tz: string;
}

/** A job that runs at a time of day (the auditors' digest). */
export interface DailySpec {
  setting: string;
  daily(config: Config): CalendarRepeat;
  runsWhen?(config: Config): boolean;
}

/** A repeating job's schedule: seconds between runs, or a time of day. */
export type Repeat = number | CalendarRepeat;

/**
 * Everything that runs by itself, in one table.
 *
 * `jobs` are BullMQ job schedulers: every worker process upserts them at start
 * (QueueBus.scheduleRepeating), BullMQ keeps one schedule per name, and any
 * worker may run a given tick (so the handlers are idempotent).
 *
 * `timers` are in-process intervals, not jobs: each runs in the process that
 * holds its state (the audit checkpoint in the audit-mirror leader, the syslog
 * summary in the process whose listener counted the messages).
 */
const REPEATING = {
  jobs: {
    // Layer 3 of revocation: seconds, so an expiry missed by its alarm is caught almost at once.
    sweep: { setting: 'policy sweepIntervalSeconds', everySeconds: (c) => c.policy.sweepIntervalSeconds },
    reconcile: { setting: 'policy reconcileIntervalSeconds', everySeconds: (c) => c.policy.reconcileIntervalSeconds },
    // Retention runs with reconciliation: one cheap sorted-set query when nothing is due.
    purge: { setting: 'policy reconcileIntervalSeconds', everySeconds: (c) => c.policy.reconcileIntervalSeconds },
    // Session retention as well (one sorted-set query when nothing is due); only where there is an archive to write.
    'session-archive': {
      setting: 'policy reconcileIntervalSeconds',
      everySeconds: (c) => c.policy.reconcileIntervalSeconds,
      runsWhen: (c) => c.env.ARCHIVE_DIR !== undefined,
    },
    // Active Directory has no accesslog (docs/sessions.md, source 3).
    'accesslog-import': {
      setting: 'policy sessions.accesslogImportSeconds',
      everySeconds: (c) => c.policy.sessions.accesslogImportSeconds,
      runsWhen: (c) => c.env.LDAP_DIALECT === 'openldap',
    },
    // Once a day at notifications.digestHour in TZ; only where mail is configured (the digest is a mail).
    digest: {
      setting: 'policy notifications.digestHour, env TZ',
      daily: (c) => ({ pattern: `0 ${c.policy.notifications.digestHour} * * *`, tz: c.env.TZ }),
      runsWhen: (c) => c.env.SMTP_URL !== undefined,
    },
    // Overdue session and room-register reviews become webhooks; nothing to watch without a webhook.
    'notify-watch': {
      setting: 'policy notifications.watchSeconds',
      everySeconds: (c) => c.policy.notifications.watchSeconds,
      runsWhen: (c) => c.policy.webhooks.length > 0,
    },
  },
  timers: {
    // Verifies the chain since the newest checkpoint and records a new one; 0 turns it off.
    'audit-checkpoint': { setting: 'env AUDIT_CHECKPOINT_INTERVAL_SECONDS', everySeconds: (c) => c.env.AUDIT_CHECKPOINT_INTERVAL_SECONDS },
    // Seals every full segment of the audit trail into ARCHIVE_DIR (in the worker, under a lease).
    'audit-archive': { setting: 'policy audit.archiveMinutes', everySeconds: (c) => c.policy.audit.archiveMinutes * 60 },
    // One `sessions.ingested` audit event per syslog sending address and period.
    'syslog-audit-summary': { setting: 'policy sessions.syslogAuditSeconds', everySeconds: (c) => c.policy.sessions.syslogAuditSeconds },
  },
} satisfies { jobs: { [K in JobName]?: RepeatSpec | DailySpec }; timers: Record<string, RepeatSpec> };

export type RepeatingJob = keyof typeof REPEATING.jobs;
export type RepeatingTimer = keyof typeof REPEATING.timers;

/** The repeating jobs this deployment runs, each with its interval in seconds or its time of day. */
export function repeatingJobs(config: Config): Partial<Record<RepeatingJob, Repeat>> {
  const out: Partial<Record<RepeatingJob, Repeat>> = {};
  for (const [name, spec] of Object.entries(REPEATING.jobs) as [RepeatingJob, RepeatSpec | DailySpec][])
    if (spec.runsWhen?.(config) ?? true) out[name] = 'daily' in spec ? spec.daily(config) : spec.everySeconds(config);
  return out;
}

/** Whether this deployment runs the repeating job `name`. */
export function runsRepeating(name: RepeatingJob, config: Config): boolean {
  return repeatingJobs(config)[name] !== undefined;
}

/** A timer's interval in milliseconds. */
export function timerMs(name: RepeatingTimer, config: Config): number {
  return REPEATING.timers[name].everySeconds(config) * 1000;
}

/** Job ids: BullMQ deduplicates on them (ids may not contain ':'). */
export const jobIds = {
  provision: (requestId: string, attempt: number) => `provision-${requestId}-${attempt}`,
  revoke: (requestId: string, trigger: RevocationTrigger) => `revoke-${requestId}-${trigger}`,
  /** The expiry alarm of a slot of validTo (expirySlot in the job scheduler port). */
  expire: (slot: number) => `expire-${slot}`,
  depart: (personId: string) => `depart-${personId}`,
};
