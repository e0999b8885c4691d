import type { Logger } from '../logger.js';
import { LIVE_STATUSES } from '../domain/types.js';
import type { RecordStore } from '../store/record-store.js';
import type { Transactor } from '../store/transactor.js';
import type { AuditInput } from '../audit/audit-event.js';
import { commitStep } from './account-lifecycle.js';
import type { DirectoryAccount, DirectoryPort } from './directory.port.js';
import { generatePassword } from './password.js';

export interface ReconcileReport {
  scanned: number;
  orphansDisabled: string[];
  corrected: string[];
  driftRemoved: { dn: string; group: string; privileged: string }[];
}

const ACTOR = 'reconciler';

/**
 * Layer 4 of revocation and the guard of clauses 1.5.6 and 1.6.1: compares
 * the vendor container with the store. (a) A vendor account in a privileged
 * group (directly or nested) is taken out and its request flagged. (b) An
 * enabled account without a live request — a back door made by hand — is
 * disabled and reported. (c) An account the store says is revoked but the
 * directory still accepts is disabled again.
 */
export class Reconciler {
  constructor(
    private readonly deps: { store: RecordStore; tx: Transactor; directory: DirectoryPort; logger: Logger; now: () => Date },
  ) {}

  async reconcile(): Promise<ReconcileReport> {
    const report: ReconcileReport = { scanned: 0, orphansDisabled: [], corrected: [], driftRemoved: [] };
    for await (const account of this.deps.directory.listVendorAccounts()) {
      report.scanned++;
      await this.checkDrift(account, report);
      if (account.enabled) await this.checkLiveness(account, report);
    }
    return report;
  }

  private async checkDrift(account: DirectoryAccount, report: ReconcileReport): Promise<void> {
    const { directory, store, tx, logger, now } = this.deps;
    const memberships = await directory.privilegedMembershipsOf(account.dn);
    for (const m of memberships) {
      await directory.removeFromGroups(account.dn, [m.group]);
      report.driftRemoved.push({ dn: account.dn, ...m });
      logger.warn('vendor account found in a privileged group; removed', { dn: account.dn, group: m.group, privileged: m.privileged });
      const event: AuditInput = { actor: ACTOR, action: 'reconcile.drift_removed', subject: account.requestId ? `request:${account.requestId}` : `account:${account.dn}`, outcome: 'warning', details: { dn: account.dn, group: m.group, privilegedGroup: m.privileged } };
      const request = account.requestId ? await store.getRequest(account.requestId) : null;
      if (request) {
        await commitStep(store, tx, request.id, (r) => ({
          next: { ...r, updatedAt: now().toISOString(), flags: [...(r.flags ?? []), { at: now().toISOString(), kind: 'privilege_drift', detail: `removed from ${m.group} (leads to ${m.privileged})` }] },
          events: [event],
        }));
      } else await tx.run([], () => Promise.resolve({ events: [event], result: undefined }));
    }
  }

  private async checkLiveness(account: DirectoryAccount, report: ReconcileReport): Promise<void> {
    const { directory, store, tx, logger, now } = this.deps;
    const request = account.requestId ? await store.getRequest(account.requestId) : null;
    if (request?.status === 'provisioning' || request?.status === 'approved') return; // a provision job owns it
    const live = request && LIVE_STATUSES.includes(request.status) && Date.parse(request.validTo) > now().getTime();
    if (live) return;
    // Scramble before locking: OpenLDAP's ppolicy clears the lock when an administrator sets a password.
    await directory.setPassword(account.dn, generatePassword());
    await directory.disableAccount(account.dn);
    await directory.removeFromGroups(account.dn, account.groups);
    const orphan = !request;
    (orphan ? report.orphansDisabled : report.corrected).push(account.dn);
    logger.warn(orphan ? 'enabled account without a request in the vendor container; disabled' : 'account enabled in the directory but ended in the store; disabled', { dn: account.dn, requestId: request?.id });
    await tx.run([], () =>
      Promise.resolve({
        events: [{ actor: ACTOR, action: orphan ? 'reconcile.orphan_disabled' : 'reconcile.corrected', subject: request ? `request:${request.id}` : `account:${account.dn}`, outcome: 'warning' as const, details: { dn: account.dn, username: account.username, storeStatus: request?.status ?? null, removedGroups: account.groups } }],
        result: undefined,
      }),
    );
  }
}
