import { overdueRequestIds } from '../../domain/overdue.js';
import type { RequestService } from '../../domain/request.service.js';
import type { RedisRecordStore } from '../../store/redis-record.store.js';
import { z } from 'zod';
import { route, type RouteSpec } from '../route.js';
import { listOf, pageOf, requestView as requestSchema } from '../response.schema.js';
import { approveSchema, emptySchema, rejectSchema, requestCreateSchema, requestListQuerySchema, revokeSchema } from '../common.schema.js';
import { requestView } from '../views.js';
import { cursorOf } from './vendor.routes.js';

/** Access requests: filing, decisions, cancellation, revocation, the one-time password. */
export function requestRoutes(deps: { requests: RequestService; store: RedisRecordStore; now: () => Date }): RouteSpec[] {
  const { requests, store } = deps;
  return [
    route({
      method: 'get',
      path: '/v1/revocations/overdue',
      roles: ['requester', 'approver', 'auditor', 'automation'],
      tag: 'requests',
      summary: 'Requests whose access has ended (validTo passed or revocation asked) but the directory has not yet confirmed it',
      operationId: 'listOverdueRevocations',
      responses: { 200: { description: 'the overdue requests', schema: listOf(requestSchema) } },
      handle: async () => {
        const ids = await overdueRequestIds(store, deps.now(), 1000);
        return { status: 200, body: { items: (await store.getRequests(ids)).map(requestView) } };
      },
    }),
    route({
      method: 'post',
      path: '/v1/requests',
      roles: ['requester'],
      tag: 'requests',
      summary: 'File an access request for a vendor person',
      body: requestCreateSchema,
      operationId: 'fileRequest',
      responses: { 201: { description: 'the request, pending', schema: requestSchema } },
      handle: async ({ actor, body }) => ({ status: 201, body: requestView(await requests.file(actor.name, body)) }),
    }),
    route({
      method: 'get',
      path: '/v1/requests',
      roles: ['requester', 'approver', 'auditor', 'exception-approver'],
      tag: 'requests',
      summary: 'List requests, newest first',
      query: requestListQuerySchema,
      operationId: 'listRequests',
      responses: { 200: { description: 'a page of requests', schema: pageOf(requestSchema) } },
      handle: async ({ query }) => {
        const { cursor, limit, ...filter } = query;
        const page = await store.listRequests(filter, cursorOf(cursor), limit);
        return { status: 200, body: { items: page.items.map(requestView), nextCursor: page.nextCursor } };
      },
    }),
    route({
      method: 'get',
      path: '/v1/requests/:id',
      roles: ['requester', 'approver', 'auditor', 'exception-approver'],
      tag: 'requests',
      summary: 'One request with its history and account',
      operationId: 'getRequest',
      responses: { 200: { description: 'the request', schema: requestSchema } },
      handle: async ({ params }) => ({ status: 200, body: requestView(await requests.get(params.id!)) }),
    }),
    route({
      method: 'post',
      path: '/v1/requests/:id/approve',
      roles: ['approver'],
      tag: 'requests',
      summary: 'Approve (never your own request); provisioning is queued for validFrom',
      body: approveSchema,
      operationId: 'approveRequest',
      responses: { 200: { description: 'the request, approved', schema: requestSchema } },
      handle: async ({ actor, params, body }) => ({ status: 200, body: requestView(await requests.approve(actor.name, params.id!, body.comment)) }),
    }),
    route({
      method: 'post',
      path: '/v1/requests/:id/reject',
      roles: ['approver'],
      tag: 'requests',
      summary: 'Reject with a reason',
      body: rejectSchema,
      operationId: 'rejectRequest',
      responses: { 200: { description: 'the request, rejected', schema: requestSchema } },
      handle: async ({ actor, params, body }) => ({ status: 200, body: requestView(await requests.reject(actor.name, params.id!, body.reason)) }),
    }),
    route({
      method: 'post',
      path: '/v1/requests/:id/exception/approve',
      roles: ['exception-approver'],
      tag: 'requests',
      summary:
        "Clause 1.9: approve a request's exception (neither its requester nor its approver); with the usual approval given, the request is approved and provisioning queued",
      body: approveSchema,
      operationId: 'approveException',
      responses: { 200: { description: 'the request, approved or still waiting for the usual approval', schema: requestSchema } },
      handle: async ({ actor, params, body }) => ({ status: 200, body: requestView(await requests.approveException(actor.name, params.id!, body.comment)) }),
    }),
    route({
      method: 'post',
      path: '/v1/requests/:id/exception/reject',
      roles: ['exception-approver'],
      tag: 'requests',
      summary: "Clause 1.9: refuse a request's exception with a reason; the request is rejected",
      body: rejectSchema,
      operationId: 'rejectException',
      responses: { 200: { description: 'the request, rejected', schema: requestSchema } },
      handle: async ({ actor, params, body }) => ({ status: 200, body: requestView(await requests.rejectException(actor.name, params.id!, body.reason)) }),
    }),
    route({
      method: 'post',
      path: '/v1/requests/:id/cancel',
      roles: ['requester'],
      tag: 'requests',
      summary: 'Cancel before provisioning',
      body: emptySchema,
      operationId: 'cancelRequest',
      responses: { 200: { description: 'the request, cancelled', schema: requestSchema } },
      handle: async ({ actor, params }) => ({ status: 200, body: requestView(await requests.cancel(actor.name, params.id!)) }),
    }),
    route({
      method: 'post',
      path: '/v1/requests/:id/revoke',
      roles: ['requester', 'approver', 'automation'],
      tag: 'requests',
      summary: 'Early revocation; the status becomes revoked once the directory confirms',
      body: revokeSchema,
      operationId: 'revokeRequest',
      responses: { 202: { description: 'the request, revocation queued', schema: requestSchema } },
      handle: async ({ actor, params, body }) => ({ status: 202, body: requestView(await requests.revoke(actor.name, params.id!, 'manual', body.reason)) }),
    }),
    route({
      method: 'post',
      path: '/v1/requests/:id/retry',
      roles: ['admin'],
      tag: 'requests',
      summary: 'Admin: provision a failed request again',
      body: emptySchema,
      operationId: 'retryRequest',
      responses: { 200: { description: 'the request, approved again', schema: requestSchema } },
      handle: async ({ actor, params }) => ({ status: 200, body: requestView(await requests.retry(actor.name, params.id!)) }),
    }),
    route({
      method: 'post',
      path: '/v1/requests/:id/credentials',
      roles: ['requester'],
      tag: 'requests',
      summary: "The initial password, once, to the request's requester; 410 afterwards",
      body: emptySchema,
      operationId: 'takeCredential',
      responses: {
        200: {
          description: 'the initial password, this once',
          schema: z.object({ username: z.string().optional(), dn: z.string().optional(), password: z.string() }),
        },
      },
      handle: async ({ actor, params, res }) => {
        const password = await requests.takeCredential(actor.name, params.id!);
        const r = await requests.get(params.id!);
        res.setHeader('Cache-Control', 'no-store');
        return { status: 200, body: { username: r.account?.username, dn: r.account?.dn, password } };
      },
    }),
  ];
}
