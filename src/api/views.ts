import type { Stored } from '../domain/ports/domain-store.port.js';
import type { AccessRequest } from '../domain/types.js';

/** The public shape of records: the internal list position is dropped. */
export function view<T extends object>(record: Stored<T>): T {
  const { n: _n, ...rest } = record;
  return rest as unknown as T;
}

export function requestView(r: Stored<AccessRequest>) {
  const body = view(r);
  return { ...body, account: r.account ? { username: r.account.username, dn: r.account.dn ?? null, state: r.account.state } : null };
}
