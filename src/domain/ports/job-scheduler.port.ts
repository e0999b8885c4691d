import type { RevocationTrigger } from '../types.js';

/** How the domain asks for background work; implemented over BullMQ in src/queues. */
export interface JobScheduler {
  /** Provision at validFrom (or now, if that has passed). Deduplicated per request attempt. */
  scheduleProvision(requestId: string, attempt: number, validFrom: Date): Promise<void>;
  /** Revoke at `at` (validTo), or now when `at` is absent or past. Deduplicated per request and trigger. */
  scheduleRevoke(requestId: string, trigger: RevocationTrigger, at?: Date): Promise<void>;
  /** Complete a person's announced departure at `at`. */
  scheduleDeparture(personId: string, at: Date): Promise<void>;
}
