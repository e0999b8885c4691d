import { Conflict, Forbidden, Gone, NotFound, PolicyViolation } from '../errors.js';
import type { Notifier } from '../notify/webhook-notifier.js';
import type { CredentialVault } from '../store/credential-vault.js';
import { newId } from './ids.js';
import { personalValues, scrubValues } from './person-erasure.service.js';
import type { JobScheduler } from './ports/job-scheduler.port.js';
import { ref, type DomainStore, type Stored } from './ports/domain-store.port.js';
import type { RequestPolicy } from './request-policy.js';
import { moveRequest } from './request-state.js';
import { checkDistinctApprovers, exceptionApproval, exceptionRejection, refusingRules, usualApproval, type ExceptionFiling } from './request-exception.js';
import { updateRequest, type RequestUpdate } from './update-request.js';
import type { AccessRequest, RevocationTrigger } from './types.js';

export interface NewRequest {
  personId: string;
  workDescription: string;
  targetSystems: string[];
  groups: string[];
  validFrom: Date;
  validTo: Date;
  /** Clause 1.9: file a request that breaks relaxable rules as an exception. */
  exception?: ExceptionFiling;
}

/** The request lifecycle as seen from the API: file, decide, cancel, revoke, fetch the password. */
export class RequestService {
  constructor(
    private readonly deps: {
      store: DomainStore;
      policy: RequestPolicy;
      jobs: JobScheduler;
      vault: CredentialVault;
      notifier?: Notifier;
      reminderHours?: number;
      /** policy.credentials.handover: with `vendor` the requester never fetches the password (it goes by a pickup link, domain/credential-handover.service.ts). */
      credentialHandover?: 'requester' | 'vendor';
      now: () => Date;
    },
  ) {}

  async get(id: string): Promise<Stored<AccessRequest>> {
    const request = await this.deps.store.getRequest(id);
    if (!request) throw new NotFound(`request ${id} not found`);
    return request;
  }

  async file(actor: string, input: NewRequest): Promise<Stored<AccessRequest>> {
    const { store, policy, now } = this.deps;
    const person = await store.getPerson(input.personId);
    if (!person) throw await this.refuse(actor, 'request', [{ rule: 'person_exists', field: 'personId', message: `person ${input.personId} not found` }]);
    const vendor = await store.getVendor(person.vendorId);
    if (!vendor) throw new NotFound(`vendor ${person.vendorId} not found`);
    const broken = [...policy.checkTerms({ ...input }, person, vendor, now()), ...(await policy.checkGroups(input.groups))];
    const refusing = refusingRules(broken, input.exception, (b) => policy.notRelaxed(b));
    if (refusing.length) throw await this.refuse(actor, `person:${person.id}`, refusing);
    const exception = input.exception && {
      justification: input.exception.justification,
      memoRef: input.exception.memoRef,
      rules: [...new Set(broken.map((b) => b.rule ?? ''))],
      approvals: [],
    };

    const at = now().toISOString();
    const request: Stored<AccessRequest> = {
      id: newId('req', now().getTime()),
      n: await store.nextPosition(),
      personId: person.id,
      vendorId: vendor.id,
      requester: actor,
      workDescription: input.workDescription,
      targetSystems: input.targetSystems,
      groups: input.groups,
      validFrom: input.validFrom.toISOString(),
      validTo: input.validTo.toISOString(),
      status: 'pending',
      createdAt: at,
      updatedAt: at,
      credential: 'none',
      attempt: 1,
      history: [{ at, actor, action: 'filed', to: 'pending' }],
      ...(exception ? { exception } : {}),
    };
    const filed = await store.run([], () =>
      Promise.resolve({
        writes: (w) => w.putRequest(request, null),
        events: [
          {
            actor,
            action: 'request.filed',
            subject: `request:${request.id}`,
            outcome: 'success',
            details: {
              personId: person.id,
              vendorId: vendor.id,
              groups: request.groups,
              targetSystems: request.targetSystems,
              validFrom: request.validFrom,
              validTo: request.validTo,
            },
          },
          ...(exception
            ? [
                {
                  actor,
                  action: 'exception.requested',
                  subject: `request:${request.id}`,
                  outcome: 'success' as const,
                  details: { rules: exception.rules, memoRef: exception.memoRef },
                },
              ]
            : []),
        ],
        result: request,
      }),
    );
    await this.deps.notifier?.notify('request.filed', filed.id);
    if (exception) await this.deps.notifier?.notify('exception.requested', filed.id);
    return filed;
  }

  async approve(actor: string, id: string, comment?: string): Promise<Stored<AccessRequest>> {
    const { now } = this.deps;
    const current = await this.get(id);
    await this.separateOrRefuse(actor, current, 'approver', 'request.approve');
    if (current.status !== 'pending') throw new Conflict(`request is ${current.status}; only a pending request can be approved`);
    await this.recheck(actor, current);
    return this.decide(id, (r) => usualApproval(r, actor, now(), comment));
  }

  /**
   * Clause 1.9: the approval of a request's exception, by a holder of role
   * exception-approver who is neither its requester nor its (usual)
   * approver. With the usual approval already given, the request becomes
   * approved and is queued for provisioning.
   */
  async approveException(actor: string, id: string, comment?: string): Promise<Stored<AccessRequest>> {
    const current = await this.get(id);
    await this.separateOrRefuse(actor, current, 'exception-approver', 'exception.approve');
    if (current.exception && current.status === 'pending') await this.recheck(actor, current);
    return this.decide(id, (r) => exceptionApproval(r, actor, this.deps.now(), comment));
  }

  /** Clause 1.9: the exception approver refuses the exception, which rejects the request. */
  rejectException(actor: string, id: string, reason: string): Promise<Stored<AccessRequest>> {
    return this.decide(id, (r) => exceptionRejection(r, actor, this.deps.now(), reason));
  }

  /** Filing's rules again at a decision (time passed, groups changed); an exception still relaxes what it relaxed. */
  private async recheck(actor: string, current: Stored<AccessRequest>): Promise<void> {
    const { store, policy, now } = this.deps;
    const person = await store.getPerson(current.personId);
    const vendor = await store.getVendor(current.vendorId);
    if (!person || !vendor) throw new NotFound('person or vendor of the request no longer exists');
    const terms = { groups: current.groups, validFrom: new Date(current.validFrom), validTo: new Date(current.validTo) };
    const broken = [...policy.checkTerms(terms, person, vendor, now()), ...(await policy.checkGroups(current.groups))];
    const refusing = current.exception ? policy.notRelaxed(broken) : broken;
    if (refusing.length) throw await this.refuse(actor, `request:${current.id}`, refusing);
  }

  /**
   * Separation of duties: nobody approves a request they filed, and the two approvals of an exception come from
   * two different people; a refusal is audited.
   */
  private async separateOrRefuse(actor: string, current: AccessRequest, as: 'approver' | 'exception-approver', action: string): Promise<void> {
    if (current.requester === actor) {
      await this.audit(actor, action, `request:${current.id}`, 'refused', { rule: 'separation_of_duties' });
      throw new Forbidden(`an ${as === 'approver' ? 'approver' : 'exception approver'} cannot approve a request they filed`, [
        { rule: 'separation_of_duties', message: `${as === 'approver' ? 'approver' : 'exception approver'} must differ from requester` },
      ]);
    }
    try {
      checkDistinctApprovers(current, actor, as);
    } catch (err) {
      await this.audit(actor, action, `request:${current.id}`, 'refused', { rule: 'distinct_exception_approver' });
      throw err;
    }
  }

  /** Applies an approval or rejection atomically with its events; once approved, queues provisioning, the expiry alarm and the reminder. */
  private async decide(id: string, change: (r: Stored<AccessRequest>) => RequestUpdate): Promise<Stored<AccessRequest>> {
    const { now } = this.deps;
    const decided = (await updateRequest(this.deps.store, id, (r) => change(r)))!;
    if (decided.status === 'rejected') await this.deps.notifier?.notify('rejected', id);
    if (decided.status !== 'approved') return decided;
    const approved = decided;
    await this.deps.jobs.scheduleProvision(id, approved.attempt, new Date(approved.validFrom));
    await this.deps.jobs.scheduleExpiry(new Date(approved.validTo));
    const remindAt = Date.parse(approved.validTo) - (this.deps.reminderHours ?? 24) * 3_600_000;
    if (remindAt > now().getTime()) await this.deps.notifier?.notify('reminder', id, new Date(remindAt));
    await this.deps.notifier?.notify('approved', id);
    return approved;
  }

  async reject(actor: string, id: string, typedReason: string): Promise<Stored<AccessRequest>> {
    const reason = await this.withoutPersonalData(id, typedReason);
    const rejected = await this.transition(
      id,
      actor,
      (r) => ({
        ...moveRequest(r, 'rejected', actor, this.deps.now(), reason),
        rejection: { by: actor, at: this.deps.now().toISOString(), reason },
      }),
      'request.rejected',
      { reason },
    );
    await this.deps.notifier?.notify('rejected', id);
    return rejected;
  }

  cancel(actor: string, id: string): Promise<Stored<AccessRequest>> {
    return this.transition(
      id,
      actor,
      (r) => {
        if (r.status !== 'pending' && r.status !== 'approved')
          throw new Conflict(`request is ${r.status}; only a request not yet provisioned can be cancelled (revoke it instead)`);
        return { ...moveRequest(r, 'cancelled', actor, this.deps.now()), cancellation: { by: actor, at: this.deps.now().toISOString() } };
      },
      'request.cancelled',
    );
  }

  /**
   * Records that access must end now and queues the revocation. The status
   * changes (to `revoked`) only once the directory has confirmed it.
   */
  async revoke(actor: string, id: string, trigger: RevocationTrigger, typedReason?: string): Promise<Stored<AccessRequest>> {
    const reason = typedReason && (await this.withoutPersonalData(id, typedReason));
    const updated = await this.transition(
      id,
      actor,
      (r) => {
        if (!['approved', 'provisioning', 'active', 'failed'].includes(r.status))
          throw new Conflict(`request is ${r.status}; there is no access to revoke${r.status === 'pending' ? ' (cancel it instead)' : ''}`);
        if (r.revocation) return r;
        const at = this.deps.now().toISOString();
        return {
          ...r,
          updatedAt: at,
          revocation: { trigger, by: actor, requestedAt: at, ...(reason ? { reason } : {}) },
          history: [...r.history, { at, actor, action: 'revocation.requested', note: reason ? `${trigger}: ${reason}` : trigger }],
        };
      },
      'revocation.requested',
      { trigger, ...(reason ? { reason } : {}) },
    );
    await this.deps.jobs.scheduleRevoke(id, trigger);
    return updated;
  }

  /** Admin: put a failed request back to approved and provision it again. */
  async retry(actor: string, id: string): Promise<Stored<AccessRequest>> {
    const updated = await this.transition(
      id,
      actor,
      (r) => {
        if (r.status !== 'failed') throw new Conflict(`request is ${r.status}; only a failed request can be retried`);
        if (r.revocation) throw new Conflict('request has a revocation pending; it cannot be retried');
        return { ...moveRequest(r, 'approved', actor, this.deps.now(), 'retry'), attempt: r.attempt + 1 };
      },
      'request.retried',
    );
    await this.deps.jobs.scheduleProvision(id, updated.attempt, new Date(updated.validFrom));
    return updated;
  }

  /** The initial password, once, to the request's own requester; destroyed as it is read. */
  async takeCredential(actor: string, id: string): Promise<string> {
    const current = await this.get(id);
    if (current.requester !== actor) {
      await this.audit(actor, 'credential.retrieve', `request:${id}`, 'refused', { rule: 'requester_only' });
      throw new Forbidden('only the requester of this request may fetch its credentials');
    }
    if (this.deps.credentialHandover === 'vendor' || current.handover) {
      // Clauses 1.6.4/1.1.9: the password goes to the vendor person, never through IT's hands.
      await this.audit(actor, 'credential.retrieve', `request:${id}`, 'refused', { rule: 'handover_vendor' });
      throw handoverToVendor();
    }
    try {
      return await this.openCredential(actor, id);
    } catch (err) {
      // A second fetch of a destroyed password is security-relevant: record the refusal too.
      if (err instanceof Gone || err instanceof Conflict) await this.audit(actor, 'credential.retrieve', `request:${id}`, 'refused', { reason: err.message });
      throw err;
    }
  }

  private openCredential(actor: string, id: string): Promise<string> {
    const { store, vault, now } = this.deps;
    return store.run([ref.request(id), ref.credential(id)], async (read) => {
      const r = await read.request(id);
      if (!r) throw new NotFound(`request ${id} not found`);
      if (r.credential === 'retrieved') throw new Gone('the initial password was already fetched and has been destroyed');
      if (r.handover) throw handoverToVendor();
      const sealed = await read.sealedCredential(id);
      if (r.credential !== 'available' || !sealed) throw new Conflict(`no initial password is waiting (request is ${r.status})`);
      const at = now().toISOString();
      const next: Stored<AccessRequest> = {
        ...r,
        credential: 'retrieved',
        updatedAt: at,
        history: [...r.history, { at, actor, action: 'credential.retrieved' }],
      };
      return {
        writes: (w) => {
          w.deleteCredential(id);
          w.putRequest(next, r);
        },
        events: [{ actor, action: 'credential.retrieved', subject: `request:${id}`, outcome: 'success' }],
        result: vault.open(id, sealed),
      };
    });
  }

  /**
   * Reads the request locked, applies `change`, and commits it with one audit
   * event. `change` returns the request it was given to change nothing (no
   * write, no event): judged by identity, not by updatedAt, since a change
   * may fall in the same millisecond as the last one.
   */
  private transition(
    id: string,
    actor: string,
    change: (r: Stored<AccessRequest>) => AccessRequest,
    action: string,
    details: Record<string, unknown> = {},
  ): Promise<Stored<AccessRequest>> {
    return this.deps.store.run([ref.request(id)], async (read) => {
      const r = await read.request(id);
      if (!r) throw new NotFound(`request ${id} not found`);
      const changed = change(r);
      if (changed === r) return { events: [], result: r };
      const next = { ...changed, n: r.n };
      return {
        writes: (w) => w.putRequest(next, r),
        events: [{ actor, action, subject: `request:${id}`, outcome: 'success' as const, details: { from: r.status, to: next.status, ...details } }],
        result: next,
      };
    });
  }

  private audit(actor: string, action: string, subject: string, outcome: 'refused' | 'failure', details: Record<string, unknown>): Promise<void> {
    return this.deps.store.append({ actor, action, subject, outcome, details });
  }

  /**
   * Free text staff typed about a request (a reason) goes into hashed audit
   * events that can never be rewritten: the person's own name, e-mail and
   * phone are replaced there, so an erasure (clause 1.1.2) leaves none behind.
   */
  private async withoutPersonalData(requestId: string, text: string): Promise<string> {
    const request = await this.deps.store.getRequest(requestId);
    const person = request && (await this.deps.store.getPerson(request.personId));
    return person ? scrubValues(text, personalValues(person)) : text;
  }

  private async refuse(actor: string, subject: string, broken: PolicyViolation['details']): Promise<PolicyViolation> {
    await this.audit(actor, 'policy.refused', subject, 'refused', { rules: broken.map((b) => b.rule), broken });
    return new PolicyViolation(`refused by policy: ${broken.map((b) => b.rule).join(', ')}`, broken);
  }
}

/** The requester's fetch refused: the initial password is handed to the vendor person (POST /v1/requests/:id/handover). */
function handoverToVendor(): Conflict {
  return new Conflict('the initial password is handed over to the vendor person: use POST /v1/requests/:id/handover', [
    { rule: 'handover_vendor', message: 'the requester does not see the password; hand it over to the vendor with a pickup link' },
  ]);
}
