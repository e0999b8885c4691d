import { decodeCursor } from '../../domain/ports/domain-store.port.js';
import { ValidationError } from '../../errors.js';
import type { RequestService } from '../../domain/request.service.js';
import type { VendorService } from '../../domain/vendor.service.js';
import type { RedisRecordStore } from '../../store/redis-record.store.js';
import { z } from 'zod';
import { route, type RouteSpec } from '../route.js';
import { pageOf, personView, requestView as requestSchema, revocationOutcome, vendorView } from '../response.schema.js';
import { departureSchema, personCreateSchema, personUpdateSchema, searchQuerySchema, terminateSchema, vendorCreateSchema } from '../common.schema.js';
import { requestView, view } from '../views.js';

export function cursorOf(cursor: string | undefined): number | undefined {
  if (cursor === undefined) return undefined;
  const n = decodeCursor(cursor);
  if (n === undefined) throw new ValidationError('invalid cursor', [{ field: 'cursor', message: 'not a cursor returned by this API' }]);
  return n;
}

/** Vendors, their people, departure and contract termination. */
export function vendorRoutes(deps: { vendors: VendorService; requests: RequestService; store: RedisRecordStore }): RouteSpec[] {
  const { vendors, store } = deps;
  return [
    route({
      method: 'post',
      path: '/v1/vendors',
      roles: ['requester'],
      tag: 'vendors',
      summary: 'Register a vendor',
      body: vendorCreateSchema,
      operationId: 'createVendor',
      responses: { 201: { description: 'the vendor', schema: vendorView } },
      handle: async ({ actor, body }) => ({ status: 201, body: view(await vendors.createVendor(actor.name, body)) }),
    }),
    route({
      method: 'get',
      path: '/v1/vendors',
      roles: ['requester', 'approver', 'auditor'],
      tag: 'vendors',
      summary: 'List vendors, newest first; ?q= finds those whose name contains it (any case, any script)',
      query: searchQuerySchema,
      operationId: 'listVendors',
      responses: { 200: { description: 'a page of vendors', schema: pageOf(vendorView) } },
      handle: async ({ query }) => {
        const page = await store.searchVendors(query.q ?? '', cursorOf(query.cursor), query.limit);
        return { status: 200, body: { items: page.items.map(view), nextCursor: page.nextCursor } };
      },
    }),
    route({
      method: 'get',
      path: '/v1/vendors/:id',
      roles: ['requester', 'approver', 'auditor'],
      tag: 'vendors',
      summary: 'One vendor with its people',
      operationId: 'getVendor',
      responses: { 200: { description: 'the vendor with its people', schema: vendorView.extend({ people: z.array(personView) }) } },
      handle: async ({ params }) => {
        const vendor = await vendors.getVendor(params.id!);
        return { status: 200, body: { ...view(vendor), people: (await store.peopleOfVendor(vendor.id)).map(view) } };
      },
    }),
    route({
      method: 'post',
      path: '/v1/vendors/:id/terminate',
      roles: ['approver', 'automation'],
      tag: 'vendors',
      summary: 'Contract ended: revoke every account of every person of the vendor',
      body: terminateSchema,
      operationId: 'terminateVendor',
      responses: { 202: { description: 'the vendor; requests revoked and cancelled', schema: z.object({ vendor: vendorView, ...revocationOutcome }) } },
      handle: async ({ actor, params, body }) => {
        const r = await vendors.terminate(actor.name, params.id!, body.reason);
        return { status: 202, body: { vendor: view(r.vendor), revoked: r.revoked, cancelled: r.cancelled } };
      },
    }),
    route({
      method: 'post',
      path: '/v1/vendors/:id/people',
      roles: ['requester'],
      tag: 'people',
      summary: 'Register a vendor person (NDA on file)',
      body: personCreateSchema,
      operationId: 'createPerson',
      responses: { 201: { description: 'the person', schema: personView } },
      handle: async ({ actor, params, body }) => ({ status: 201, body: view(await vendors.addPerson(actor.name, params.id!, body)) }),
    }),
    route({
      method: 'get',
      path: '/v1/people',
      roles: ['requester', 'approver', 'auditor'],
      tag: 'people',
      summary: 'People of every vendor, newest first; ?q= finds those whose full name contains it (any case, any script)',
      query: searchQuerySchema,
      operationId: 'listPeople',
      responses: { 200: { description: 'a page of people', schema: pageOf(personView) } },
      handle: async ({ query }) => {
        const page = await store.searchPeople(query.q ?? '', cursorOf(query.cursor), query.limit);
        return { status: 200, body: { items: page.items.map(view), nextCursor: page.nextCursor } };
      },
    }),
    route({
      method: 'get',
      path: '/v1/people/:id',
      roles: ['requester', 'approver', 'auditor'],
      tag: 'people',
      summary: 'One person with their requests',
      operationId: 'getPerson',
      responses: { 200: { description: 'the person with their requests', schema: personView.extend({ requests: z.array(requestSchema) }) } },
      handle: async ({ params }) => {
        const person = await vendors.getPerson(params.id!);
        const requests = await store.getRequests(await store.requestIdsOfPerson(person.id));
        return { status: 200, body: { ...view(person), requests: requests.map(requestView) } };
      },
    }),
    route({
      method: 'patch',
      path: '/v1/people/:id',
      roles: ['requester'],
      tag: 'people',
      summary: 'Set or (null) clear the Latin name the username is made from; accounts already made keep theirs',
      body: personUpdateSchema,
      operationId: 'updatePerson',
      responses: { 200: { description: 'the person', schema: personView } },
      handle: async ({ actor, params, body }) => ({ status: 200, body: view(await vendors.updatePerson(actor.name, params.id!, body)) }),
    }),
    route({
      method: 'post',
      path: '/v1/people/:id/departure',
      roles: ['requester', 'approver', 'automation'],
      tag: 'people',
      summary: 'A vendor person left: revoke all their accounts, now or at effectiveAt',
      body: departureSchema,
      operationId: 'recordDeparture',
      responses: { 202: { description: 'the person; requests revoked and cancelled', schema: z.object({ person: personView, ...revocationOutcome }) } },
      handle: async ({ actor, params, body }) => {
        const r = await vendors.departure(actor.name, params.id!, body.reason, body.effectiveAt);
        return { status: 202, body: { person: view(r.person), revoked: r.revoked, cancelled: r.cancelled } };
      },
    }),
  ];
}
