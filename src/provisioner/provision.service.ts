import type { Logger } from '../logger.js';
import type { Metrics } from '../metrics.js';
import type { Policy } from '../config/policy.schema.js';
import type { DomainStore, Stored } from '../domain/ports/domain-store.port.js';
import type { RequestPolicy } from '../domain/request-policy.js';
import { moveRequest } from '../domain/request-state.js';
import type { AccessRequest, Person, Vendor } from '../domain/types.js';
import { updateRequest } from '../domain/update-request.js';
import type { CredentialVault } from '../store/credential-vault.js';
import type { DirectoryPort } from '../domain/ports/directory.port.js';
import type { Notifier } from '../notify/webhook-notifier.js';
import { generatePassword } from './generate-password.js';
import { candidateUsername } from './username.js';

const ACTOR = 'worker';

/**
 * The provision job: re-checks policy, creates the account disabled, sets a
 * fresh password, adds the approved groups, enables it with the directory's
 * own expiry, and records it. Each step is idempotent, so a retry (or a
 * restart after a crash) finishes what an earlier try began.
 */
export class ProvisionService {
  constructor(
    private readonly deps: {
      store: DomainStore;
      directory: DirectoryPort;
      requestPolicy: RequestPolicy;
      policy: Policy;
      vault: CredentialVault;
      metrics: Metrics;
      logger: Logger;
      notifier?: Notifier;
      now: () => Date;
    },
  ) {}

  async provision(requestId: string, attempt: number): Promise<void> {
    const { store, directory, vault, now } = this.deps;
    const request = await store.getRequest(requestId);
    if (!request || request.attempt !== attempt) return;
    if (request.revocation || (request.status !== 'approved' && request.status !== 'provisioning')) return;

    // The person and the vendor are read once per job: the policy re-check, the username and the entry's names use them.
    const [person, vendor] = await Promise.all([store.getPerson(request.personId), store.getVendor(request.vendorId)]);
    const broken = await this.recheck(request, person, vendor);
    if (broken.length) {
      await this.fail(requestId, `refused by policy at provisioning: ${broken.map((b) => b.message).join('; ')}`, { rules: broken.map((b) => b.rule), broken });
      return;
    }

    const username = request.account?.username ?? (await this.reserveUsername(request, person, vendor));
    const started = await updateRequest(store, requestId, (r) => {
      if (r.status === 'provisioning') return null;
      if (r.status !== 'approved' || r.revocation) return null;
      return {
        next: { ...moveRequest(r, 'provisioning', ACTOR, now()), account: { username, state: 'creating' } },
        events: [{ actor: ACTOR, action: 'provisioning.started', subject: `request:${requestId}`, outcome: 'success', details: { username } }],
      };
    });
    const current = started ?? (await store.getRequest(requestId));
    if (!current || current.status !== 'provisioning') return;

    const names = (person?.fullName ?? username).trim().split(/\s+/);
    const account = await directory.createAccount({
      requestId,
      username,
      givenName: names[0] ?? username,
      surname: names.slice(1).join(' ') || names[0] || username,
      displayName: `${person?.fullName ?? username} (${vendor?.name ?? 'vendor'})`,
      email: person?.email ?? '',
      description: `Leasehold vendor account for request ${requestId}`,
      validTo: new Date(current.validTo),
    });
    const password = generatePassword();
    await directory.setPassword(account.dn, password);
    await directory.addToGroups(account.dn, current.groups);
    await directory.enableAccount(account.dn, new Date(current.validTo), { mustChangePassword: this.deps.policy.credentials.mustChangeAtFirstLogon });

    const sealed = vault.seal(requestId, password);
    const activated = await updateRequest(store, requestId, (r) => {
      if (r.status !== 'provisioning') return null;
      const at = now().toISOString();
      return {
        next: {
          ...moveRequest(r, 'active', ACTOR, now()),
          account: { username, dn: account.dn, state: 'active', createdAt: r.account?.createdAt ?? at, enabledAt: at },
          credential: 'available',
        },
        writes: (w) => w.putSealedCredential(requestId, sealed),
        events: [
          {
            actor: ACTOR,
            action: 'account.created',
            subject: `request:${requestId}`,
            outcome: 'success',
            details: { username, dn: account.dn, groups: r.groups, expiresAt: r.validTo },
          },
          { actor: ACTOR, action: 'request.active', subject: `request:${requestId}`, outcome: 'success', details: { from: 'provisioning', to: 'active' } },
        ],
      };
    });
    this.deps.metrics.provisioned.inc();
    this.deps.logger.info('account provisioned', { requestId, username, dn: account.dn });
    if (activated) await this.deps.notifier?.notify('active', requestId);
  }

  /** Called when the provision job gives up: the request is failed, with the reason, audited. */
  async fail(requestId: string, reason: string, details: Record<string, unknown> = {}): Promise<void> {
    const { store, now } = this.deps;
    const failed = await updateRequest(store, requestId, (r) => {
      if (r.status !== 'approved' && r.status !== 'provisioning') return null;
      return {
        next: { ...moveRequest(r, 'failed', ACTOR, now(), reason), failure: { at: now().toISOString(), reason } },
        events: [{ actor: ACTOR, action: 'provisioning.failed', subject: `request:${requestId}`, outcome: 'failure', details: { reason, ...details } }],
      };
    });
    this.deps.logger.warn('provisioning failed', { requestId, reason });
    if (failed) await this.deps.notifier?.notify('failed', requestId);
  }

  private async recheck(request: Stored<AccessRequest>, person: Stored<Person> | null, vendor: Stored<Vendor> | null) {
    const { requestPolicy, now } = this.deps;
    if (!person || !vendor) return [{ rule: 'records_exist', message: 'person or vendor record missing' }];
    const terms = { groups: request.groups, validFrom: new Date(request.validFrom), validTo: new Date(request.validTo) };
    // validFrom may have passed by now; only the rules that can change since approval matter.
    const termRules = requestPolicy
      .checkTerms(terms, person, vendor, now())
      .filter((b) => b.rule !== 'max_validity_days' && b.rule !== 'valid_from_before_valid_to');
    const broken = [...termRules, ...(await requestPolicy.checkGroups(request.groups))];
    // An approved exception (clause 1.9) still relaxes what the policy lets it relax.
    return request.exception ? requestPolicy.notRelaxed(broken) : broken;
  }

  /**
   * Picks the first free candidate: reserved nowhere else in the store and absent from the directory.
   * One directory search per candidate also finds an account an earlier try made for the request.
   */
  private async reserveUsername(request: Stored<AccessRequest>, person: Stored<Person> | null, vendor: Stored<Vendor> | null): Promise<string> {
    const { store, directory, policy } = this.deps;
    for (let n = 1; n < 1000; n++) {
      const candidate = candidateUsername(
        policy.usernameTemplate,
        vendor ?? { id: request.vendorId, name: '' },
        person ?? { id: request.personId, fullName: '' },
        n,
      );
      const owner = await store.reserveUsername(candidate, request.id);
      if (owner !== request.id) continue;
      const found = await directory.lookUpUsername(request.id, candidate);
      if (found.existing) return found.existing;
      if (!found.taken) return candidate;
    }
    throw new Error('no free username after 1000 candidates');
  }
}
