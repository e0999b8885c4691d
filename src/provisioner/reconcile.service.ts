import type { Logger } from '../logger.js';
import type { DomainStore, Stored } from '../domain/ports/domain-store.port.js';
import { LIVE_STATUSES, type AccessRequest } from '../domain/types.js';
import { updateRequest } from '../domain/update-request.js';
import type { AuditInput } from '../audit/audit-event.js';
import type { DirectoryAccount, DirectoryPort, PrivilegedMembership } from '../domain/ports/directory.port.js';
import { normalizeDn } from './ldap/escape.js';
import { generatePassword } from './generate-password.js';

export interface ReconcileReport {
  scanned: number;
  orphansDisabled: string[];
  corrected: string[];
  driftRemoved: { dn: string; group: string; privileged: string }[];
}

const ACTOR = 'reconciler';
/** Accounts settled together: one privilege question for their new groups, one read of their requests. A listing page. */
const BATCH = 500;

/** What one pass keeps: its report, the privilege verdict of each group judged (normalised DN → privileged group, or null), normalised DNs. */
interface Pass {
  report: ReconcileReport;
  verdicts: Map<string, string | null>;
  keys: Map<string, string>;
}

/** Every group whose rights the account holds directly: the groups that list it, and on AD a primary group other than Domain Users. */
function groupsOf(account: DirectoryAccount): string[] {
  return account.primaryGroup ? [...account.groups, account.primaryGroup] : account.groups;
}

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

  /**
   * One pass. The listing is the only read per account: memberships, state
   * and expiry come with it (one paged search, plus one group search per page
   * on OpenLDAP). Accounts are taken a listing page at a time: privilege is
   * asked once per pass for each distinct group not yet judged (the verdicts
   * are kept for the pass), and the page's requests are read in one batch.
   * So a pass costs O(pages + distinct groups) directory reads, not O(accounts).
   */
  async reconcile(): Promise<ReconcileReport> {
    const pass: Pass = { report: { scanned: 0, orphansDisabled: [], corrected: [], driftRemoved: [] }, verdicts: new Map(), keys: new Map() };
    let batch: DirectoryAccount[] = [];
    for await (const account of this.deps.directory.listVendorAccounts()) {
      batch.push(account);
      if (batch.length >= BATCH) {
        await this.settle(batch, pass);
        batch = [];
      }
    }
    await this.settle(batch, pass);
    return pass.report;
  }

  private async settle(accounts: DirectoryAccount[], pass: Pass): Promise<void> {
    if (!accounts.length) return;
    const { directory, store } = this.deps;
    // The same few group DNs recur on every account: each spelling is normalised once per pass.
    const keyOf = (dn: string): string => {
      let key = pass.keys.get(dn);
      if (key === undefined) pass.keys.set(dn, (key = normalizeDn(dn)));
      return key;
    };
    const unjudged = new Map<string, string>();
    for (const account of accounts)
      for (const group of groupsOf(account)) {
        const key = keyOf(group);
        if (!pass.verdicts.has(key) && !unjudged.has(key)) unjudged.set(key, group);
      }
    if (unjudged.size) {
      const privileged = await directory.privilegedGroupsOf([...unjudged.values()]);
      for (const [key, group] of unjudged) pass.verdicts.set(key, privileged.get(group) ?? null);
    }
    const ids = [...new Set(accounts.flatMap((a) => (a.requestId ? [a.requestId] : [])))];
    const requests = new Map((ids.length ? await store.getRequests(ids) : []).map((r) => [r.id, r]));
    for (const account of accounts) {
      pass.report.scanned++;
      const memberships: PrivilegedMembership[] = [];
      const seen = new Set<string>();
      for (const group of groupsOf(account)) {
        const key = keyOf(group);
        const privileged = pass.verdicts.get(key);
        if (privileged && !seen.has(key)) memberships.push({ group, privileged });
        seen.add(key);
      }
      await this.checkDrift(account, memberships, pass.report);
      await this.checkLiveness(account, account.requestId ? (requests.get(account.requestId) ?? null) : null, pass.report);
    }
  }

  private async checkDrift(account: DirectoryAccount, memberships: PrivilegedMembership[], report: ReconcileReport): Promise<void> {
    const { directory, store, logger, now } = this.deps;
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

  /** `listed`: the request as read with the account's page; read again before anything is done about it. */
  private async checkLiveness(account: DirectoryAccount, listed: Stored<AccessRequest> | null, report: ReconcileReport): Promise<void> {
    const { directory, store, logger } = this.deps;
    // Disabled and in no group: nothing is left to take away (revoked accounts kept for retention).
    if (!account.enabled && account.groups.length === 0) return;
    if (this.leftAlone(listed)) return;
    // A finding: judge it on the request as it is now, not as it was when the page was read.
    const request = account.requestId ? await store.getRequest(account.requestId) : null;
    if (this.leftAlone(request)) return;
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

  /** A provision job owns an approved or provisioning request's account; a live request's account is as it should be. */
  private leftAlone(request: Stored<AccessRequest> | null): boolean {
    return request?.status === 'provisioning' || request?.status === 'approved' || (!!request && this.live(request));
  }

  private live(request: Stored<AccessRequest>): boolean {
    return LIVE_STATUSES.includes(request.status) && Date.parse(request.validTo) > this.deps.now().getTime();
  }
}
