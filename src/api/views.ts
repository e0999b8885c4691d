import type { Stored } from '../domain/ports/domain-store.port.js';
import type { AccessRequest, CredentialHandover } from '../domain/types.js';

/** The public shape of records: the internal list position is dropped. */
export function view<T extends object>(record: Stored<T>): T {
  const { n: _n, ...rest } = record;
  return rest as unknown as T;
}

export function requestView(r: Stored<AccessRequest>) {
  // The pickup's digests stay inside: the view tells only when it was issued, until when, and how it ended.
  const { handover, ...body } = view(r);
  return {
    ...body,
    account: r.account ? { username: r.account.username, dn: r.account.dn ?? null, state: r.account.state } : null,
    ...(handover ? { handover: handoverView(handover) } : {}),
  };
}

/** A pickup without its digests. */
export function handoverView(h: CredentialHandover) {
  return {
    issuedAt: h.issuedAt,
    issuedBy: h.issuedBy,
    expiresAt: h.expiresAt,
    failedAttempts: h.failedAttempts,
    ...(h.usedAt ? { usedAt: h.usedAt } : {}),
    ...(h.burnedAt ? { burnedAt: h.burnedAt } : {}),
  };
}
