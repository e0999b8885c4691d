import type { AuditInput } from '../../src/audit/audit-event.js';
import { newId } from '../../src/domain/ids.js';
import type { DomainStore, Stored } from '../../src/domain/ports/domain-store.port.js';
import { updateRequest } from '../../src/domain/update-request.js';
import type { AccessRequest, Person, RequestStatus, Vendor } from '../../src/domain/types.js';

/** Records for store tests, built as the services build them (a fresh id and list position each). */

const HOUR = 3_600_000;

/** One audit input for a record change in tests. */
export function event(action: string, subject: string, details?: Record<string, unknown>): AuditInput {
  return { actor: 'ops-test', action, subject, outcome: 'success', ...(details ? { details } : {}) };
}

export async function newVendor(store: DomainStore, at: Date, over: Partial<Vendor> = {}): Promise<Stored<Vendor>> {
  return {
    id: newId('ven'),
    n: await store.nextPosition(),
    name: 'Acme Maintenance',
    contractRef: 'C-2030-01',
    contractEndsAt: new Date(at.getTime() + 365 * 24 * HOUR).toISOString(),
    status: 'active',
    createdAt: at.toISOString(),
    createdBy: 'ops-test',
    ...over,
  };
}

async function newPerson(store: DomainStore, at: Date, vendorId: string, over: Partial<Person> = {}): Promise<Stored<Person>> {
  return {
    id: newId('per'),
    n: await store.nextPosition(),
    vendorId,
    fullName: 'Ann Example',
    email: 'ann@acme.example',
    ndaSignedAt: at.toISOString(),
    ndaRef: 'NDA-1',
    status: 'active',
    createdAt: at.toISOString(),
    createdBy: 'ops-test',
    ...over,
  };
}

async function newRequest(
  store: DomainStore,
  at: Date,
  person: { id: string; vendorId: string },
  over: Partial<AccessRequest> = {},
): Promise<Stored<AccessRequest>> {
  const status: RequestStatus = over.status ?? 'pending';
  return {
    id: newId('req'),
    n: await store.nextPosition(),
    personId: person.id,
    vendorId: person.vendorId,
    requester: 'ops-test',
    workDescription: 'ERP maintenance',
    targetSystems: ['erp'],
    groups: ['cn=erp-support,ou=groups,dc=test'],
    validFrom: at.toISOString(),
    validTo: new Date(at.getTime() + 24 * HOUR).toISOString(),
    status,
    createdAt: at.toISOString(),
    updatedAt: at.toISOString(),
    credential: 'none',
    attempt: 1,
    history: [{ at: at.toISOString(), actor: 'ops-test', action: 'filed', to: status }],
    ...over,
  };
}

/** Saves new records (vendor, person, request — whichever are given) in one unit of work, one event each. */
export function saveNew(store: DomainStore, records: { vendor?: Stored<Vendor>; person?: Stored<Person>; request?: Stored<AccessRequest> }): Promise<void> {
  const { vendor, person, request } = records;
  return store.run([], () =>
    Promise.resolve({
      writes: (w) => {
        if (vendor) w.putVendor(vendor, true);
        if (person) w.putPerson(person, true);
        if (request) w.putRequest(request, null);
      },
      events: [
        ...(vendor ? [event('vendor.created', `vendor:${vendor.id}`)] : []),
        ...(person ? [event('person.registered', `person:${person.id}`)] : []),
        ...(request ? [event('request.filed', `request:${request.id}`)] : []),
      ],
      result: undefined,
    }),
  );
}

/** A vendor with one person, saved. */
export async function seedPerson(store: DomainStore, at: Date, vendorOver: Partial<Vendor> = {}): Promise<{ vendor: Stored<Vendor>; person: Stored<Person> }> {
  const vendor = await newVendor(store, at, vendorOver);
  const person = await newPerson(store, at, vendor.id);
  await saveNew(store, { vendor, person });
  return { vendor, person };
}

/** A saved request (of `person`, or of a new vendor's person). */
export async function seedRequest(
  store: DomainStore,
  at: Date,
  over: Partial<AccessRequest> = {},
  person?: { id: string; vendorId: string },
): Promise<Stored<AccessRequest>> {
  const owner = person ?? (await seedPerson(store, at)).person;
  const request = await newRequest(store, at, owner, over);
  await saveNew(store, { request });
  return request;
}

/** Changes a saved request (status or any member) through updateRequest, with one event. */
export async function changeRequest(store: DomainStore, id: string, change: Partial<AccessRequest>): Promise<Stored<AccessRequest>> {
  const next = await updateRequest(store, id, (r) => ({
    next: { ...r, ...change },
    events: [event('request.changed', `request:${id}`, { from: r.status, to: change.status ?? r.status })],
  }));
  return next!;
}

/** Appends a history note: a change whose loss a test can see. */
export function withNote(request: AccessRequest, note: string, at: Date): AccessRequest {
  return { ...request, updatedAt: at.toISOString(), history: [...request.history, { at: at.toISOString(), actor: 'ops-test', action: 'noted', note }] };
}
