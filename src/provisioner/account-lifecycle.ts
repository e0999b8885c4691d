import type { ChainableCommander } from 'ioredis';
import { NotFound } from '../errors.js';
import type { AuditInput } from '../audit/audit-event.js';
import type { RecordStore, Stored } from '../store/record-store.js';
import type { Transactor } from '../store/transactor.js';
import type { AccessRequest } from '../domain/types.js';

/** What a step decides about a request: its new version, extra writes, and the events to audit. */
export interface StepOutcome {
  next: AccessRequest;
  events: AuditInput[];
  writes?: (m: ChainableCommander) => void;
}

/** Commits one worker step on a request atomically with its audit events. */
export function commitStep(
  store: RecordStore,
  tx: Transactor,
  requestId: string,
  decide: (r: Stored<AccessRequest>) => StepOutcome | null,
  watchExtra: string[] = [],
): Promise<Stored<AccessRequest> | null> {
  return tx.run([store.keys.request(requestId), ...watchExtra], async () => {
    const r = await store.getRequest(requestId);
    if (!r) throw new NotFound(`request ${requestId} not found`);
    const outcome = decide(r);
    if (!outcome) return { events: [], result: null };
    const next = { ...outcome.next, n: r.n };
    return {
      writes: (m) => {
        outcome.writes?.(m);
        store.putRequest(m, next, r);
      },
      events: outcome.events,
      result: next,
    };
  });
}
