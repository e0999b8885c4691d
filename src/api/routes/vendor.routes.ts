import { decodeCursor } from '../../domain/ports/domain-store.port.js';
import { ValidationError } from '../../errors.js';
import type { RequestService } from '../../domain/request.service.js';
import type { VendorService } from '../../domain/vendor.service.js';
import type { RedisRecordStore } from '../../store/redis-record.store.js';
import { route, type RouteSpec } from '../route.js';
import { departureSchema, pageQuerySchema, personCreateSchema, terminateSchema, vendorCreateSchema } from '../common.schema.js';
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
      responses: { 201: 'the vendor' },
      handle: async ({ actor, body }) => ({ status: 201, body: view(await vendors.createVendor(actor.name, body)) }),
    }),
    route({
      method: 'get',
      path: '/v1/vendors',
      roles: ['requester', 'approver', 'auditor'],
      tag: 'vendors',
      summary: 'List vendors, newest first',
      query: pageQuerySchema,
      responses: { 200: '{items, nextCursor}' },
      handle: async ({ query }) => {
        const page = await store.listVendors(cursorOf(query.cursor), query.limit);
        return { status: 200, body: { items: page.items.map(view), nextCursor: page.nextCursor } };
      },
    }),
    route({
      method: 'get',
      path: '/v1/vendors/:id',
      roles: ['requester', 'approver', 'auditor'],
      tag: 'vendors',
      summary: 'One vendor with its people',
      responses: { 200: 'the vendor' },
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
      responses: { 202: '{vendor, revoked[], cancelled[]}' },
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
      responses: { 201: 'the person' },
      handle: async ({ actor, params, body }) => ({ status: 201, body: view(await vendors.addPerson(actor.name, params.id!, body)) }),
    }),
    route({
      method: 'get',
      path: '/v1/people/:id',
      roles: ['requester', 'approver', 'auditor'],
      tag: 'people',
      summary: 'One person with their requests',
      responses: { 200: 'the person' },
      handle: async ({ params }) => {
        const person = await vendors.getPerson(params.id!);
        const requests = await store.getRequests(await store.requestIdsOfPerson(person.id));
        return { status: 200, body: { ...view(person), requests: requests.map(requestView) } };
      },
    }),
    route({
      method: 'post',
      path: '/v1/people/:id/departure',
      roles: ['requester', 'approver', 'automation'],
      tag: 'people',
      summary: 'A vendor person left: revoke all their accounts, now or at effectiveAt',
      body: departureSchema,
      responses: { 202: '{person, revoked[], cancelled[]}' },
      handle: async ({ actor, params, body }) => {
        const r = await vendors.departure(actor.name, params.id!, body.reason, body.effectiveAt);
        return { status: 202, body: { person: view(r.person), revoked: r.revoked, cancelled: r.cancelled } };
      },
    }),
  ];
}
