import { Conflict, NotFound, PolicyViolation } from '../errors.js';
import { newId } from './ids.js';
import { personalValues, scrubValues } from './person-erasure.service.js';
import type { JobScheduler } from './ports/job-scheduler.port.js';
import { ref, type DomainStore, type Stored } from './ports/domain-store.port.js';
import type { RequestService } from './request.service.js';
import { LIVE_STATUSES, type AccessRequest, type Person, type RevocationTrigger, type Vendor } from './types.js';

export interface NewVendor {
  name: string;
  contractRef: string;
  contractEndsAt: Date;
}
export interface NewPerson {
  fullName: string;
  latinName?: string;
  email: string;
  phone?: string;
  ndaSignedAt: Date;
  ndaRef: string;
}

export interface EndOfAccess {
  /** Requests whose revocation was queued. */
  revoked: string[];
  /** Requests not yet approved that were cancelled. */
  cancelled: string[];
}

/** Vendors and their people, and the two events that end all their access: departure and contract end. */
export class VendorService {
  constructor(
    private readonly deps: {
      store: DomainStore;
      requests: RequestService;
      jobs: JobScheduler;
      now: () => Date;
    },
  ) {}

  async getVendor(id: string): Promise<Stored<Vendor>> {
    const vendor = await this.deps.store.getVendor(id);
    if (!vendor) throw new NotFound(`vendor ${id} not found`);
    return vendor;
  }

  async getPerson(id: string): Promise<Stored<Person>> {
    const person = await this.deps.store.getPerson(id);
    if (!person) throw new NotFound(`person ${id} not found`);
    return person;
  }

  async createVendor(actor: string, input: NewVendor): Promise<Stored<Vendor>> {
    const { store, now } = this.deps;
    const vendor: Stored<Vendor> = {
      id: newId('ven', now().getTime()),
      n: await store.nextPosition(),
      name: input.name,
      contractRef: input.contractRef,
      contractEndsAt: input.contractEndsAt.toISOString(),
      status: 'active',
      createdAt: now().toISOString(),
      createdBy: actor,
    };
    return store.run([], () =>
      Promise.resolve({
        writes: (w) => w.putVendor(vendor, true),
        events: [
          {
            actor,
            action: 'vendor.created',
            subject: `vendor:${vendor.id}`,
            outcome: 'success' as const,
            details: { contractRef: vendor.contractRef, contractEndsAt: vendor.contractEndsAt },
          },
        ],
        result: vendor,
      }),
    );
  }

  async addPerson(actor: string, vendorId: string, input: NewPerson): Promise<Stored<Person>> {
    const { store, now } = this.deps;
    const vendor = await this.getVendor(vendorId);
    if (vendor.status !== 'active') throw new Conflict(`vendor is ${vendor.status}`);
    if (input.ndaSignedAt.getTime() > now().getTime()) {
      await store.append({ actor, action: 'policy.refused', subject: `vendor:${vendorId}`, outcome: 'refused', details: { rules: ['nda_signed'] } });
      throw new PolicyViolation('the confidentiality undertaking cannot be signed in the future', [
        { rule: 'nda_signed', field: 'ndaSignedAt', message: 'ndaSignedAt is in the future' },
      ]);
    }
    const person: Stored<Person> = {
      id: newId('per', now().getTime()),
      n: await store.nextPosition(),
      vendorId,
      fullName: input.fullName,
      ...(input.latinName ? { latinName: input.latinName } : {}),
      email: input.email,
      ...(input.phone ? { phone: input.phone } : {}),
      ndaSignedAt: input.ndaSignedAt.toISOString(),
      ndaRef: input.ndaRef,
      status: 'active',
      createdAt: now().toISOString(),
      createdBy: actor,
    };
    return store.run([ref.vendor(vendorId)], () =>
      Promise.resolve({
        writes: (w) => w.putPerson(person, true),
        // Personal data stays in the record, out of the trail: ids and the NDA reference only.
        events: [
          {
            actor,
            action: 'person.registered',
            subject: `person:${person.id}`,
            outcome: 'success' as const,
            details: { vendorId, ndaRef: person.ndaRef, ndaSignedAt: person.ndaSignedAt },
          },
        ],
        result: person,
      }),
    );
  }

  /**
   * Sets or (with null) clears the Latin name. Accounts already made keep
   * their username; the next request's account uses the new name. The event
   * names the field changed, not its value (personal data stays out of the trail).
   */
  async updatePerson(actor: string, personId: string, input: { latinName: string | null }): Promise<Stored<Person>> {
    const { store } = this.deps;
    return store.run([ref.person(personId)], async (read) => {
      const p = await read.person(personId);
      if (!p) throw new NotFound(`person ${personId} not found`);
      if (p.erasedAt)
        throw new Conflict(`the person's personal data was erased on ${p.erasedAt}`, [
          { rule: 'person_erased', message: 'an erased person is not given personal data again' },
        ]);
      const { latinName: _old, ...rest } = p;
      const next: Stored<Person> = input.latinName ? { ...rest, latinName: input.latinName } : rest;
      return {
        writes: (w) => w.putPerson(next, false),
        events: [{ actor, action: 'person.updated', subject: `person:${personId}`, outcome: 'success' as const, details: { fields: ['latinName'] } }],
        result: next,
      };
    });
  }

  /**
   * A vendor person leaves (clause 1.1.8): every account of theirs is revoked,
   * now or at `effectiveAt`; no new request for them is approved.
   */
  async departure(actor: string, personId: string, typedReason: string, effectiveAt?: Date): Promise<{ person: Stored<Person> } & EndOfAccess> {
    const { store, now, jobs } = this.deps;
    // The reason goes into hashed audit events that can never be rewritten: the person's own name, e-mail or phone stay out of it.
    const known = await store.getPerson(personId);
    const reason = known ? scrubValues(typedReason, personalValues(known)) : typedReason;
    const at = now();
    const scheduled = effectiveAt && effectiveAt.getTime() > at.getTime() ? effectiveAt : undefined;
    const person = await store.run([ref.person(personId)], async (read) => {
      const p = await read.person(personId);
      if (!p) throw new NotFound(`person ${personId} not found`);
      if (p.status === 'departed') throw new Conflict('the person has already departed');
      const next: Stored<Person> = scheduled
        ? { ...p, departureScheduledAt: scheduled.toISOString(), departureReason: reason }
        : { ...p, status: 'departed', departedAt: at.toISOString(), departureReason: reason };
      return {
        writes: (w) => w.putPerson(next, false),
        events: [
          {
            actor,
            action: scheduled ? 'person.departure_scheduled' : 'person.departed',
            subject: `person:${personId}`,
            outcome: 'success' as const,
            details: { reason, effectiveAt: (scheduled ?? at).toISOString() },
          },
        ],
        result: next,
      };
    });
    if (scheduled) {
      await jobs.scheduleDeparture(personId, scheduled);
      return { person, revoked: [], cancelled: [] };
    }
    return { person, ...(await this.endAccess(actor, await store.requestIdsOfPerson(personId), 'departure', reason)) };
  }

  /** Completes a departure announced for later (run by the departure job at effectiveAt). */
  async completeDeparture(personId: string): Promise<EndOfAccess> {
    const { store, now } = this.deps;
    const person = await store.getPerson(personId);
    if (!person) return { revoked: [], cancelled: [] };
    if (person.status !== 'departed') {
      await store.run([ref.person(personId)], async (read) => {
        const p = (await read.person(personId))!;
        const next: Stored<Person> = { ...p, status: 'departed', departedAt: now().toISOString() };
        return {
          writes: (w) => w.putPerson(next, false),
          events:
            p.status === 'departed'
              ? []
              : [
                  {
                    actor: 'system',
                    action: 'person.departed',
                    subject: `person:${personId}`,
                    outcome: 'success' as const,
                    details: { reason: p.departureReason },
                  },
                ],
          result: undefined,
        };
      });
    }
    return this.endAccess('system', await store.requestIdsOfPerson(personId), 'departure', person.departureReason);
  }

  /** The vendor's contract ended or was terminated: every account of every person goes. */
  async terminate(
    actor: string,
    vendorId: string,
    reason: string,
    trigger: RevocationTrigger = 'vendor-terminated',
  ): Promise<{ vendor: Stored<Vendor> } & EndOfAccess> {
    const { store, now } = this.deps;
    const vendor = await store.run([ref.vendor(vendorId)], async (read) => {
      const v = await read.vendor(vendorId);
      if (!v) throw new NotFound(`vendor ${vendorId} not found`);
      if (v.status === 'terminated') return { events: [], result: v };
      const next: Stored<Vendor> = { ...v, status: 'terminated', terminatedAt: now().toISOString(), terminationReason: reason };
      return {
        writes: (w) => w.putVendor(next, false),
        events: [{ actor, action: 'vendor.terminated', subject: `vendor:${vendorId}`, outcome: 'success' as const, details: { reason, trigger } }],
        result: next,
      };
    });
    return { vendor, ...(await this.endAccess(actor, await store.requestIdsOfVendor(vendorId), trigger, reason)) };
  }

  private async endAccess(actor: string, requestIds: string[], trigger: RevocationTrigger, reason?: string): Promise<EndOfAccess> {
    const { requests, store } = this.deps;
    const result: EndOfAccess = { revoked: [], cancelled: [] };
    for (const request of await store.getRequests(requestIds)) {
      if (request.status === 'pending') {
        await requests.cancel(actor, request.id);
        result.cancelled.push(request.id);
      } else if (isRevocable(request)) {
        await requests.revoke(actor, request.id, trigger, reason);
        result.revoked.push(request.id);
      }
    }
    return result;
  }
}

function isRevocable(request: AccessRequest): boolean {
  return LIVE_STATUSES.includes(request.status) || request.status === 'failed';
}
