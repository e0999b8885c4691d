import type { DomainStore } from '../domain/ports/domain-store.port.js';
import { EXPIRY_SLOT_MS } from '../domain/ports/job-scheduler.port.js';
import { isPermanentFailure, PermanentJobError, TransientJobError, errorMessage } from '../errors.js';
import type { Logger } from '../logger.js';
import type { RevokeService } from './revoke.service.js';

/** Due ids read from the validTo index at a time. */
const BATCH = 1000;
/** Request ids named in the warning about failed revocations (the count is always given). */
const NAMED = 20;

/**
 * Layer 2 of revocation: the expiry alarm of one slot of validTo (EXPIRY_SLOT_MS
 * wide), a single delayed job shared by every request expiring in that slot
 * (issue 15: a mass expiry of 2,000 accounts was 2,000 delayed jobs). It reads
 * the slot's due requests from the validTo index and revokes them here, a few
 * at a time, through the one idempotent RevokeService.
 *
 * Only its own slot: while the directory is down every alarm keeps retrying,
 * and one that took every overdue request would multiply the attempts by the
 * number of alarms waiting. Overdue requests of other slots are their own
 * alarms' and the sweeper's (layer 3).
 */
export class ExpiryAlarmService {
  constructor(
    private readonly deps: {
      store: Pick<DomainStore, 'dueForExpiry'>;
      revoker: Pick<RevokeService, 'revoke'>;
      /** Revocations under way at once: the revocation queue's worker concurrency. */
      concurrency: number;
      logger: Logger;
    },
  ) {}

  /**
   * Revokes every live request whose validTo falls in `slot`. Each is tried
   * even when others fail; then, if any failed, throws: transient (the alarm
   * retries with backoff) unless every failure was permanent.
   */
  async expire(slot: number): Promise<{ tried: number }> {
    const after = (slot - 1) * EXPIRY_SLOT_MS;
    const until = slot * EXPIRY_SLOT_MS;
    const tried = new Set<string>();
    const failures: { requestId: string; err: unknown }[] = [];
    for (;;) {
      // A revoked request leaves the index; one that failed stays, so read past those already tried.
      const limit = BATCH + tried.size;
      const due = await this.deps.store.dueForExpiry(until, limit, after);
      const fresh = due.filter((id) => !tried.has(id));
      for (const id of fresh) tried.add(id);
      failures.push(...(await this.revokeAll(fresh)));
      if (due.length < limit || fresh.length === 0) break;
    }
    if (failures.length > 0) this.fail(slot, tried.size, failures);
    return { tried: tried.size };
  }

  /** Revokes `ids` on `concurrency` lanes; returns the failures. */
  private async revokeAll(ids: string[]): Promise<{ requestId: string; err: unknown }[]> {
    const failures: { requestId: string; err: unknown }[] = [];
    let next = 0;
    const lane = async () => {
      while (next < ids.length) {
        const requestId = ids[next++]!;
        try {
          await this.deps.revoker.revoke(requestId, 'expiry');
        } catch (err) {
          failures.push({ requestId, err });
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.deps.concurrency, ids.length) }, lane));
    return failures;
  }

  private fail(slot: number, tried: number, failures: { requestId: string; err: unknown }[]): never {
    const permanent = failures.every((f) => isPermanentFailure(f.err));
    const first = failures[0]!.err;
    this.deps.logger.warn('expiry alarm: revocations failed', {
      slot,
      failed: failures.length,
      tried,
      requestIds: failures.slice(0, NAMED).map((f) => f.requestId),
      error: errorMessage(first),
    });
    const message = `${failures.length} of ${tried} revocations due in expiry slot ${slot} failed`;
    // Retrying cannot cure a permanent failure; a transient one among them keeps the alarm retrying them all.
    throw permanent ? new PermanentJobError(`${message}, none can succeed by retrying`) : new TransientJobError(`${message}; the alarm retries`);
  }
}
