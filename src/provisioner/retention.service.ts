import type { Logger } from '../logger.js';
import type { DomainStore } from '../domain/ports/domain-store.port.js';
import { updateRequest } from '../domain/update-request.js';
import type { DirectoryPort } from '../domain/ports/directory.port.js';

const DAY_MS = 86_400_000;

/** Deletes accounts that have been disabled longer than retentionDays; their records stay. */
export class RetentionService {
  constructor(private readonly deps: { store: DomainStore; directory: DirectoryPort; retentionDays: number; logger: Logger; now: () => Date }) {}

  async purge(): Promise<string[]> {
    const { store, directory, now, retentionDays } = this.deps;
    const deleted: string[] = [];
    for (const r of await store.getRequests(await store.dueForDeletion(now().getTime() - retentionDays * DAY_MS, 1000))) {
      const dn = r.account?.dn;
      if (!dn || r.account?.state !== 'disabled') continue;
      await directory.deleteAccount(dn);
      await updateRequest(store, r.id, (cur) =>
        cur.account?.state !== 'disabled'
          ? null
          : {
              next: { ...cur, updatedAt: now().toISOString(), account: { ...cur.account, state: 'deleted', deletedAt: now().toISOString() } },
              events: [{ actor: 'worker', action: 'account.deleted', subject: `request:${r.id}`, outcome: 'success', details: { dn, retentionDays } }],
            },
      );
      deleted.push(r.id);
    }
    return deleted;
  }
}
