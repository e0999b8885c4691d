import { z } from 'zod';
import type { PersonExportService } from '../../domain/person-export.service.js';
import { REQUEST_STATUSES } from '../../domain/types.js';
import { route, type RouteSpec } from '../route.js';
import { personView } from '../response.schema.js';

const personExportView = z
  .object({
    exportedAt: z.string(),
    person: personView,
    vendor: z.object({ id: z.string(), name: z.string() }),
    requests: z.array(
      z.object({
        id: z.string(),
        status: z.enum(REQUEST_STATUSES),
        validFrom: z.string(),
        validTo: z.string(),
        createdAt: z.string(),
        username: z.string().nullable(),
      }),
    ),
    accounts: z.array(z.object({ username: z.string(), requestId: z.string(), state: z.string() })),
    sessionIds: z.array(z.string()),
  })
  .meta({ id: 'PersonExport' });

/** Personal data handed out on request (clause 1.1.2); auditors and admins only, every export audited. */
export function personExportRoutes(deps: { exporter: PersonExportService }): RouteSpec[] {
  return [
    route({
      method: 'get',
      path: '/v1/people/:id/export',
      roles: ['auditor'],
      tag: 'people',
      summary: 'Everything held on a person: record, vendor, requests with validity, account usernames, session ids (audited as person.exported)',
      operationId: 'exportPerson',
      responses: { 200: { description: 'all data held on the person', schema: personExportView } },
      handle: async ({ actor, params }) => ({ status: 200, body: await deps.exporter.export(actor.name, params.id!) }),
    }),
  ];
}
