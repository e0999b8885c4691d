import { TransientJobError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { Metrics } from '../metrics.js';
import { ref, type DomainStore } from '../domain/ports/domain-store.port.js';
import { moveRequest } from '../domain/request-state.js';
import type { RevocationTrigger } from '../domain/types.js';
import { updateRequest } from '../domain/update-request.js';
import type { DirectoryPort } from '../domain/ports/directory.port.js';
import type { Notifier } from '../notify/webhook-notifier.js';
import { generatePassword } from './generate-password.js';

const ACTOR = 'worker';
const DONE = new Set(['expired', 'revoked', 'closed', 'rejected', 'cancelled', 'pending']);

/** Thrown while a provision job still owns the request; the revoke job retries shortly. */
export class ProvisioningInProgress extends TransientJobError {}

/**
 * The one revoke operation, reached by every trigger (expiry, manual,
 * departure, vendor termination, contract end). Disables the account in the
 * directory, strips every group, scrambles the password, and only once the
 * directory has accepted every one of those writes records the request as
 * expired or revoked. Idempotent.
 */
export class RevokeService {
  /** Revocations running in this process, by request: a second trigger for the same request joins the first. */
  private readonly running = new Map<string, Promise<void>>();

  constructor(
    private readonly deps: {
      store: DomainStore;
      directory: DirectoryPort;
      metrics: Metrics;
      logger: Logger;
      notifier?: Notifier;
      now: () => Date;
    },
  ) {}

  /**
   * Revokes the request's access. While one revocation of a request runs in this process, another (the sweeper
   * re-queueing an expiry its alarm is still working through, a manual revocation at the same moment) waits
   * for it instead of writing the directory a second time, then runs and finds the request done.
   */
  async revoke(requestId: string, trigger: RevocationTrigger): Promise<void> {
    const earlier = this.running.get(requestId);
    const run = (earlier ? earlier.catch(() => undefined) : Promise.resolve()).then(() => this.revokeOnce(requestId, trigger));
    this.running.set(requestId, run);
    try {
      await run;
    } finally {
      if (this.running.get(requestId) === run) this.running.delete(requestId);
    }
  }

  private async revokeOnce(requestId: string, trigger: RevocationTrigger): Promise<void> {
    const { store, directory, now } = this.deps;
    const request = await store.getRequest(requestId);
    if (!request || DONE.has(request.status)) return;
    // An expiry job that fires early (clock skew) leaves the work to the one that is due.
    if (trigger === 'expiry' && !request.revocation && Date.parse(request.validTo) > now().getTime() + 1000) return;
    if (request.status === 'provisioning') throw new ProvisioningInProgress(`request ${requestId} is being provisioned; revocation waits`);

    const dn = request.account?.dn ?? (await directory.findAccount(requestId))?.dn;
    // Scramble, lock and strip every group, each write confirmed by the directory's answer (a refused one throws
    // and the job retries); the account is not read back: later tampering is reconciliation's (layer 4).
    const removedGroups = dn ? ((await directory.revokeAccount(dn, generatePassword())) ?? []) : [];

    const effective: RevocationTrigger = request.revocation?.trigger ?? trigger;
    const to = effective === 'expiry' ? 'expired' : 'revoked';
    const dueMs = effective === 'expiry' ? Date.parse(request.validTo) : Date.parse(request.revocation?.requestedAt ?? request.validTo);
    const lagMs = Math.max(0, now().getTime() - dueMs);
    const done = await updateRequest(
      store,
      requestId,
      (r) => {
        if (DONE.has(r.status) || r.status === 'provisioning') return null;
        const at = now().toISOString();
        const moved = moveRequest(r, to, ACTOR, now(), effective);
        return {
          next: {
            ...moved,
            revocation: r.revocation ?? { trigger: effective, by: ACTOR, requestedAt: at },
            credential: r.credential === 'available' ? 'none' : r.credential,
            ...(r.account ? { account: { ...r.account, ...(dn ? { dn } : {}), state: dn ? 'disabled' : r.account.state, disabledAt: at } } : {}),
          },
          writes: (w) => w.deleteCredential(requestId),
          events: [
            ...(dn
              ? [
                  {
                    actor: ACTOR,
                    action: 'account.disabled',
                    subject: `request:${requestId}`,
                    outcome: 'success' as const,
                    details: { dn, trigger: effective, removedGroups, lagMs },
                  },
                ]
              : []),
            {
              actor: ACTOR,
              action: `request.${to}`,
              subject: `request:${requestId}`,
              outcome: 'success' as const,
              details: { from: r.status, to, trigger: effective },
            },
          ],
        };
      },
      [ref.credential(requestId)],
    );
    if (done) {
      this.deps.metrics.revocationLag.observe({ trigger: effective }, lagMs / 1000);
      this.deps.logger.info('access revoked', { requestId, trigger: effective, lagMs });
      await this.deps.notifier?.notify(to, requestId);
    }
  }
}
