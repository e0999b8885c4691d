import { z } from 'zod';
import type { CredentialHandoverService } from '../../domain/credential-handover.service.js';
import { emptySchema } from '../common.schema.js';
import { requestOrigin, route, type RouteSpec } from '../route.js';

const time = z.string().describe('ISO 8601 date-time');

const handoverTicket = z
  .object({
    pickupUrl: z.string().describe('the one-time link for the vendor person (send it by e-mail or chat)'),
    code: z.string().describe('8 digits, to be given to the vendor by another channel (phone); shown this once'),
    expiresAt: time,
  })
  .meta({ id: 'HandoverTicket' });

const pickupStatus = z
  .object({
    valid: z.boolean(),
    expiresAt: time.nullable(),
    attemptsLeft: z.number().int().nullable(),
    reason: z.enum(['unknown', 'used', 'expired', 'burned', 'unavailable']).optional().describe('why the link no longer works'),
  })
  .meta({ id: 'PickupStatus' });

const pickupBody = z.strictObject({ code: z.string().regex(/^\d{8}$/, 'must be the 8 digits given with the link') });

const pickedUp = z
  .object({
    username: z.string().nullable(),
    dn: z.string().nullable(),
    password: z.string(),
    mustChangeAtFirstLogon: z.boolean().describe('the first logon will ask for a new password'),
  })
  .meta({ id: 'PickedUpCredential' });

/** Pickups are public and guessable only by brute force: few tries per address and minute, on top of the per-link attempt limit. */
const PICKUP_LIMIT_PER_MINUTE = 20;

/** Nothing about a pickup is cached or sent on as a referrer (the link is the secret). */
function noTrace(res: { setHeader(name: string, value: string): unknown }): void {
  res.setHeader('Cache-Control', 'no-store');
  res.setHeader('Referrer-Policy', 'no-referrer');
}

/**
 * Handover of the initial password to the vendor person (clauses 1.6.4,
 * 1.1.9): the requester issues a one-time pickup; the vendor opens the link
 * (the console's public page /pickup/<token>) and enters the code. The pickup
 * endpoints need no sign-in and read no cookie; a write takes JSON only
 * (express.json), so a cross-site form cannot post one.
 */
export function handoverRoutes(deps: { handover: CredentialHandoverService }): RouteSpec[] {
  const { handover } = deps;
  return [
    route({
      method: 'post',
      path: '/v1/requests/:id/handover',
      roles: ['requester'],
      tag: 'requests',
      summary: "Hand the initial password over to the vendor person: a one-time pickup link and code (the request's requester; replaces an earlier link)",
      body: emptySchema,
      operationId: 'handOverCredential',
      responses: { 201: { description: 'the pickup link and its code, shown this once', schema: handoverTicket } },
      handle: async ({ actor, params, res }) => {
        noTrace(res);
        return { status: 201, body: await handover.issue(actor.name, params.id!) };
      },
    }),
    route({
      method: 'get',
      path: '/v1/pickup/:token',
      roles: 'public',
      tag: 'pickup',
      summary: 'Whether a pickup link still works, and until when (no sign-in; nothing secret)',
      limitPerMinute: PICKUP_LIMIT_PER_MINUTE,
      operationId: 'getPickup',
      responses: { 200: { description: 'the state of the link', schema: pickupStatus } },
      handle: async ({ params, res }) => {
        noTrace(res);
        return { status: 200, body: await handover.status(params.token!) };
      },
    }),
    route({
      method: 'post',
      path: '/v1/pickup/:token',
      roles: 'public',
      tag: 'pickup',
      summary: 'The vendor picks up the initial password with the code, once (no sign-in; 403 wrong code, 410 used, expired or burned)',
      body: pickupBody,
      limitPerMinute: PICKUP_LIMIT_PER_MINUTE,
      operationId: 'pickUpCredential',
      responses: { 200: { description: 'the username and initial password, this once', schema: pickedUp } },
      handle: async ({ params, body, req, res }) => {
        noTrace(res);
        return { status: 200, body: await handover.pickUp(params.token!, body.code, requestOrigin(req, res)) };
      },
    }),
  ];
}
