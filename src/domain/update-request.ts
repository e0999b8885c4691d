import type { AuditInput } from '../audit/audit-event.js';
import { NotFound } from '../errors.js';
import { ref, type RecordReader, type RecordRef, type RecordWriter, type Stored, type UnitOfWork } from './ports/domain-store.port.js';
import type { AccessRequest } from './types.js';

/** What a change to one request decides: its new version, further writes, and the events to audit. */
export interface RequestUpdate {
  next: AccessRequest;
  events: AuditInput[];
  /** Writes beyond the request itself (a sealed credential, a deleted one), in the same commit. */
  writes?: (w: RecordWriter) => void;
}

/**
 * Changes one request atomically with its audit events: reads it (locked,
 * with `alsoLock`), lets `decide` choose, writes the new version under the
 * same list position with every index in step. `decide` returns null to
 * change nothing; the result is then null too. It may run more than once
 * (UnitOfWork.run), so it must only read. Rejects with NotFound when the
 * request does not exist.
 */
export function updateRequest(
  uow: UnitOfWork,
  id: string,
  decide: (current: Stored<AccessRequest>, read: RecordReader) => RequestUpdate | null | Promise<RequestUpdate | null>,
  alsoLock: RecordRef[] = [],
): Promise<Stored<AccessRequest> | null> {
  return uow.run([ref.request(id), ...alsoLock], async (read) => {
    const current = await read.request(id);
    if (!current) throw new NotFound(`request ${id} not found`);
    const update = await decide(current, read);
    if (!update) return { events: [], result: null };
    const next: Stored<AccessRequest> = { ...update.next, n: current.n };
    return {
      writes: (w) => {
        update.writes?.(w);
        w.putRequest(next, current);
      },
      events: update.events,
      result: next,
    };
  });
}
