import type { RecordQueries } from './ports/domain-store.port.js';

/**
 * A revocation still unconfirmed this long after it was due is overdue: the
 * revoke job normally confirms within a second, so five seconds means it is
 * stuck (directory down, worker gone) and someone should look.
 */
export const OVERDUE_AFTER_MS = 5000;

/** The instant (epoch ms) at or before which an unconfirmed revocation that fell due is overdue at `now`. */
export function overdueCutoff(now: Date): number {
  return now.getTime() - OVERDUE_AFTER_MS;
}

/**
 * Ids of the live requests whose revocation is overdue at `now`: validTo
 * passed, or a revocation asked for, at least OVERDUE_AFTER_MS ago and the
 * request still not confirmed ended. Each id once, expiries first; at most
 * `limit` of each kind. The sweeper reports these and the API lists them.
 */
export async function overdueRequestIds(store: Pick<RecordQueries, 'dueForExpiry' | 'pendingRevocations'>, now: Date, limit: number): Promise<string[]> {
  const cutoff = overdueCutoff(now);
  const [expired, asked] = await Promise.all([store.dueForExpiry(cutoff, limit), store.pendingRevocations(cutoff, limit)]);
  return [...new Set([...expired, ...asked])];
}
