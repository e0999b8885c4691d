import { z } from 'zod';
import type { PersonErasureService } from '../../domain/person-erasure.service.js';
import type { PersonExportService } from '../../domain/person-export.service.js';
import { REQUEST_STATUSES } from '../../domain/types.js';
import { emptySchema } from '../common.schema.js';
import { route, type RouteSpec } from '../route.js';
import { personView } from '../response.schema.js';
import { view } from '../views.js';

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

/** Personal data handed out and erased on request (clause 1.1.2); export by auditors and admins, erasure by admins, each audited. */
export function personExportRoutes(deps: { exporter: PersonExportService; eraser: PersonErasureService }): RouteSpec[] {
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
    route({
      method: 'post',
      path: '/v1/people/:id/erase',
      roles: ['admin'],
      tag: 'people',
      summary:
        'Erase the personal data (fullName, latinName, email, phone) once every request of the person has ended and policy.retention.personDays have passed ' +
        'since the last one ended (or since registration): 409 requests_ended / 422 retention_person_days with possibleAt otherwise. ' +
        'Deletes their accounts still in the directory; keeps ids, vendor, status, NDA reference and dates; audited as person.erased. ' +
        'A second call answers the same erased record.',
      body: emptySchema,
      operationId: 'erasePerson',
      responses: { 200: { description: 'the person record as kept after erasure', schema: personView } },
      handle: async ({ actor, params }) => ({ status: 200, body: view(await deps.eraser.erase(actor.name, params.id!)) }),
    }),
  ];
}
