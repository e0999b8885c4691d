import type { RevocationTrigger } from '../types.js';

/**
 * Expiry alarms are shared per slot of this many milliseconds of validTo: every request
 * expiring in one slot is revoked by the same alarm (issue 15: no per-account job at validTo).
 */
export const EXPIRY_SLOT_MS = 100;

/** The alarm slot of a validTo: the slot's alarm fires at `slot × EXPIRY_SLOT_MS`, never before validTo. */
export function expirySlot(validTo: Date): number {
  return Math.ceil(validTo.getTime() / EXPIRY_SLOT_MS);
}

/** How the domain asks for background work; implemented over BullMQ in src/queues. */
export interface JobScheduler {
  /** Provision at validFrom (or now, if that has passed). Deduplicated per request attempt. */
  scheduleProvision(requestId: string, attempt: number, validFrom: Date): Promise<void>;
  /** Revoke now. Deduplicated per request and trigger while queued. */
  scheduleRevoke(requestId: string, trigger: RevocationTrigger): Promise<void>;
  /**
   * Layer 2 of revocation: the expiry alarm of `validTo`'s slot (expirySlot), which revokes
   * every request due by then. One alarm per slot, however many requests share it.
   */
  scheduleExpiry(validTo: Date): Promise<void>;
  /** Complete a person's announced departure at `at`. */
  scheduleDeparture(personId: string, at: Date): Promise<void>;
}
