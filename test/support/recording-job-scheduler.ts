import { expirySlot, type JobScheduler } from '../../src/domain/ports/job-scheduler.port.js';
import type { NotificationEvent, Notifier } from '../../src/notify/webhook-notifier.js';
import type { RevocationTrigger } from '../../src/domain/types.js';

/** One job the domain asked for, as the scheduler port received it. */
export type ScheduledJob =
  | { job: 'provision'; requestId: string; attempt: number; at: string }
  | { job: 'revoke'; requestId: string; trigger: RevocationTrigger }
  | { job: 'expire'; at: string }
  | { job: 'depart'; personId: string; at: string };

/**
 * The job scheduler port for unit tests: it runs nothing, it only records
 * what was asked, so a test can check what was scheduled and then call the
 * service the job would run itself (no queue, no timers).
 */
export class RecordingJobScheduler implements JobScheduler {
  readonly scheduled: ScheduledJob[] = [];

  scheduleProvision(requestId: string, attempt: number, validFrom: Date): Promise<void> {
    this.scheduled.push({ job: 'provision', requestId, attempt, at: validFrom.toISOString() });
    return Promise.resolve();
  }

  scheduleRevoke(requestId: string, trigger: RevocationTrigger): Promise<void> {
    this.scheduled.push({ job: 'revoke', requestId, trigger });
    return Promise.resolve();
  }

  scheduleExpiry(validTo: Date): Promise<void> {
    this.scheduled.push({ job: 'expire', at: validTo.toISOString() });
    return Promise.resolve();
  }

  scheduleDeparture(personId: string, at: Date): Promise<void> {
    this.scheduled.push({ job: 'depart', personId, at: at.toISOString() });
    return Promise.resolve();
  }

  /** The slots of the expiry alarms asked for, in order (expirySlot of each validTo). */
  alarmSlots(): number[] {
    return this.scheduled.flatMap((j) => (j.job === 'expire' ? [expirySlot(new Date(j.at))] : []));
  }

  /** The revoke jobs asked for, in order. */
  revocations(): Extract<ScheduledJob, { job: 'revoke' }>[] {
    return this.scheduled.filter((j): j is Extract<ScheduledJob, { job: 'revoke' }> => j.job === 'revoke');
  }
}

/** The notifier port for unit tests: records each notification asked for. */
export class RecordingNotifier implements Notifier {
  readonly sent: { event: NotificationEvent; requestId: string; at?: string }[] = [];

  notify(event: NotificationEvent, requestId: string, at?: Date): Promise<void> {
    this.sent.push({ event, requestId, ...(at ? { at: at.toISOString() } : {}) });
    return Promise.resolve();
  }
}
