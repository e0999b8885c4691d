import { z } from 'zod';
import type { GroupLookup } from '../../domain/group-lookup.js';
import { route, type RouteSpec } from '../route.js';
import { groupView, listOf } from '../response.schema.js';

const groupQuery = z.strictObject({
  q: z.string().max(200).optional().describe('part of the group name (cn; on AD also sAMAccountName), any case, any script'),
  limit: z.coerce.number().int().min(1).max(200).default(50),
});

/** Look-ups the request form needs: the directory's groups with the policy's verdict on each. */
export function lookupRoutes(deps: { groups: GroupLookup }): RouteSpec[] {
  return [
    route({
      method: 'get',
      path: '/v1/groups',
      roles: ['requester', 'approver', 'auditor'],
      tag: 'groups',
      summary:
        'Directory groups whose name contains ?q=, sorted by name, each with whether a request may name it and, if not, why (privileged: true and the rule)',
      query: groupQuery,
      operationId: 'searchGroups',
      responses: { 200: { description: 'the matching groups (at most limit)', schema: listOf(groupView) } },
      handle: async ({ query }) => ({ status: 200, body: { items: await deps.groups.search(query.q ?? '', query.limit) } }),
    }),
  ];
}
