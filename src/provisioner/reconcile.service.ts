import type { Logger } from '../logger.js';
import type { DomainStore, Stored } from '../domain/ports/domain-store.port.js';
import { LIVE_STATUSES, type AccessRequest } from '../domain/types.js';
import { updateRequest } from '../domain/update-request.js';
import type { AuditInput } from '../audit/audit-event.js';
import type { DirectoryAccount, DirectoryPort } from '../domain/ports/directory.port.js';
import { generatePassword } from './generate-password.js';

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
 * account without a live request — a back door made by hand, or one left
 * behind by a revocation or an earlier pass that died part-way — that is
 * enabled or still in any group has its password scrambled, is disabled and
 * loses every group. (c) The same for an account the store says has ended.
 *
 * Every finding is audited before anything is changed, and every change is
 * audited once done: a pass that dies between the two leaves the finding in
 * the trail, never an unaudited change. Each step is idempotent, and an
 * account still enabled or in a group is found again, so the next pass
 * finishes what a dead one left (and audits it again).
 */
export class ReconcileService {
  constructor(private readonly deps: { store: DomainStore; directory: DirectoryPort; logger: Logger; now: () => Date }) {}

  async reconcile(): Promise<ReconcileReport> {
    const report: ReconcileReport = { scanned: 0, orphansDisabled: [], corrected: [], driftRemoved: [] };
    for await (const account of this.deps.directory.listVendorAccounts()) {
      report.scanned++;
      await this.checkDrift(account, report);
      await this.checkLiveness(account, report);
    }
    return report;
  }

  private async checkDrift(account: DirectoryAccount, report: ReconcileReport): Promise<void> {
    const { directory, store, logger, now } = this.deps;
    const memberships = await directory.privilegedMembershipsOf(account.dn);
    for (const m of memberships) {
      const subject = account.requestId ? `request:${account.requestId}` : `account:${account.dn}`;
      const details = { dn: account.dn, group: m.group, privilegedGroup: m.privileged };
      const found: AuditInput = { actor: ACTOR, action: 'reconcile.drift_found', subject, outcome: 'warning', details };
      // The finding and the request's flag together, before the directory is touched.
      const request = account.requestId ? await store.getRequest(account.requestId) : null;
      if (request) {
        await updateRequest(store, request.id, (r) => ({
          next: {
            ...r,
            updatedAt: now().toISOString(),
            flags: [...(r.flags ?? []), { at: now().toISOString(), kind: 'privilege_drift', detail: `removed from ${m.group} (leads to ${m.privileged})` }],
          },
          events: [found],
        }));
      } else await store.append(found);
      await directory.removeFromGroups(account.dn, [m.group]);
      report.driftRemoved.push({ dn: account.dn, ...m });
      logger.warn('vendor account found in a privileged group; removed', details);
      await store.append({ actor: ACTOR, action: 'reconcile.drift_removed', subject, outcome: 'warning', details });
    }
  }

  private async checkLiveness(account: DirectoryAccount, report: ReconcileReport): Promise<void> {
    const { directory, store, logger } = this.deps;
    const request = account.requestId ? await store.getRequest(account.requestId) : null;
    if (request?.status === 'provisioning' || request?.status === 'approved') return; // a provision job owns it
    if (request && this.live(request)) return;
    // Disabled and in no group: nothing is left to take away (revoked accounts kept for retention).
    if (!account.enabled && account.groups.length === 0) return;
    const orphan = !request;
    const subject = request ? `request:${request.id}` : `account:${account.dn}`;
    const facts = { dn: account.dn, username: account.username, storeStatus: request?.status ?? null };
    await store.append({
      actor: ACTOR,
      action: orphan ? 'reconcile.orphan_found' : 'reconcile.mismatch_found',
      subject,
      outcome: 'warning',
      details: { ...facts, enabled: account.enabled, groups: account.groups },
    });
    // Scramble before locking: OpenLDAP's ppolicy clears the lock when an administrator sets a password.
    await directory.setPassword(account.dn, generatePassword());
    await directory.disableAccount(account.dn);
    await directory.removeFromGroups(account.dn, account.groups);
    (orphan ? report.orphansDisabled : report.corrected).push(account.dn);
    logger.warn(
      orphan
        ? 'account without a request in the vendor container; disabled and stripped of its groups'
        : 'account ended in the store but enabled or in groups in the directory; disabled and stripped',
      { dn: account.dn, requestId: request?.id },
    );
    await store.append({
      actor: ACTOR,
      action: orphan ? 'reconcile.orphan_disabled' : 'reconcile.corrected',
      subject,
      outcome: 'warning',
      details: { ...facts, wasEnabled: account.enabled, disabled: true, passwordScrambled: true, removedGroups: account.groups },
    });
  }

  private live(request: Stored<AccessRequest>): boolean {
    return LIVE_STATUSES.includes(request.status) && Date.parse(request.validTo) > this.deps.now().getTime();
  }
}
