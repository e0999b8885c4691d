import { z } from 'zod';
import type { Policy } from '../../config/policy.schema.js';
import { route, type RouteSpec } from '../route.js';

const consoleConfigSchema = z.object({
  /** IANA name (TZ): the console shows and reads dates in this zone. */
  timeZone: z.string(),
  /** The policy file as parsed (config/policy.schema.ts); webhook secrets read `(set)`. */
  policy: z.looseObject({
    maxValidityDays: z.number(),
    requireNda: z.boolean(),
    privilegedGroups: z.array(z.string()),
    grantableGroups: z.array(z.string()).optional(),
    exceptions: z.object({ relaxable: z.array(z.string()), maxValidityDays: z.number() }),
    credentials: z.object({ handover: z.enum(['requester', 'vendor']), pickupHours: z.number(), mustChangeAtFirstLogon: z.boolean() }),
  }),
});

/**
 * What the web console needs to know of the service's settings: the time
 * zone it shows dates in (TZ) and the policy in force, so that the request
 * form can show every rule before submitting and admins can read the policy.
 * Webhook secrets stay on the server.
 */
export function consoleRoutes(deps: { policy: Policy; timeZone: string }): RouteSpec[] {
  const policy = { ...deps.policy, webhooks: deps.policy.webhooks.map((hook) => ({ ...hook, secret: '(set)' })) };
  return [
    route({
      method: 'get',
      path: '/v1/console/config',
      roles: ['requester', 'approver', 'auditor', 'exception-approver'],
      tag: 'console',
      summary: 'The time zone dates are shown in and the policy in force (webhook secrets withheld)',
      operationId: 'getConsoleConfig',
      responses: { 200: { description: 'the time zone and the policy', schema: consoleConfigSchema } },
      handle: () => Promise.resolve({ status: 200, body: { timeZone: deps.timeZone, policy } }),
    }),
  ];
}
