import type { Logger } from '../logger.js';
import type { Metrics } from '../metrics.js';
import { expirySlot, type JobScheduler } from '../domain/ports/job-scheduler.port.js';
import { overdueRequestIds } from '../domain/overdue.js';
import type { DomainStore, Stored } from '../domain/ports/domain-store.port.js';
import type { VendorService } from '../domain/vendor.service.js';
import type { AccessRequest } from '../domain/types.js';
import type { Notifier } from '../notify/webhook-notifier.js';

const BATCH = 5000;
/** Requests read (and their jobs queued) at a time by the start-up catch-up. */
const CATCH_UP_CHUNK = 500;

/**
 * Layer 3 of revocation: every sweepIntervalSeconds, anything past validTo,
 * any asked-for revocation not yet confirmed, any contract end and any
 * announced departure that is due gets its job (again — job ids deduplicate).
 * Also run once when a worker starts (catch-up after downtime).
 */
export class SweepService {
  constructor(
    private readonly deps: {
      store: DomainStore;
      jobs: JobScheduler;
      vendors: VendorService;
      metrics: Metrics;
      logger: Logger;
      notifier?: Notifier;
      now: () => Date;
    },
  ) {}

  async sweep(): Promise<{ expired: number; pending: number; overdue: number }> {
    const { store, jobs, now } = this.deps;
    const at = now();
    const nowMs = at.getTime();
    const due = await store.dueForExpiry(nowMs, BATCH);
    for (const id of due) await jobs.scheduleRevoke(id, 'expiry');
    const pending = await store.pendingRevocations(nowMs, BATCH);
    for (const r of await store.getRequests(pending)) if (r.revocation) await jobs.scheduleRevoke(r.id, r.revocation.trigger);

    for (const vendorId of await store.contractsEnded(nowMs, BATCH))
      await this.deps.vendors.terminate('system', vendorId, 'contract end date passed', 'contract-ended');
    for (const personId of await store.departuresDue(nowMs, BATCH)) await this.deps.vendors.completeDeparture(personId);

    const overdue = await this.reportOverdue(at);
    return { expired: due.length, pending: pending.length, overdue };
  }

  /** Start-up catch-up: re-queue every job that might have been lost while nothing ran. */
  async catchUp(): Promise<void> {
    const { store, jobs } = this.deps;
    // A chunk of records at a time, its jobs queued together: with 10,000 live requests, reading them all
    // at once held them all in memory and queueing one job after another took seconds (bench: memory).
    const each = async (ids: string[], queue: (r: Stored<AccessRequest>) => Promise<void>) => {
      for (let i = 0; i < ids.length; i += CATCH_UP_CHUNK) await Promise.all((await store.getRequests(ids.slice(i, i + CATCH_UP_CHUNK))).map(queue));
    };
    await each(await store.idsInStatus('approved'), (r) => jobs.scheduleProvision(r.id, r.attempt, new Date(r.validFrom)));
    // One expiry alarm per slot of validTo, not per request: many requests share a slot (a mass expiry all of them).
    const slots = new Set<number>();
    const alarm = (r: Stored<AccessRequest>) => {
      const slot = expirySlot(new Date(r.validTo));
      if (slots.has(slot)) return Promise.resolve();
      slots.add(slot);
      return jobs.scheduleExpiry(new Date(r.validTo));
    };
    for (const status of ['approved', 'provisioning', 'active'] as const) await each(await store.idsInStatus(status), alarm);
    await this.sweep();
  }

  /** Reports each overdue revocation once (audit, log, notification); the gauge counts every one still overdue. */
  private async reportOverdue(at: Date): Promise<number> {
    const { store, metrics, logger } = this.deps;
    const late = await overdueRequestIds(store, at, BATCH);
    metrics.overdueRevocations.set(late.length);
    for (const id of late) {
      if (!(await store.markOverdueReported(id))) continue;
      logger.warn('revocation overdue: access has ended but the directory has not confirmed it', { requestId: id });
      await store.append({ actor: 'system', action: 'revocation.overdue', subject: `request:${id}`, outcome: 'warning' });
      await this.deps.notifier?.notify('overdue', id);
    }
    return late.length;
  }
}
