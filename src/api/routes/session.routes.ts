import { z } from 'zod';
import { ValidationError } from '../../errors.js';
import type { IncidentService } from '../../sessions/incident.service.js';
import { sessionBatchSchema, validateBatch } from '../../sessions/session-event.schema.js';
import type { SessionIngestService } from '../../sessions/session-ingest.service.js';
import { decodeCursor, type SessionQueries } from '../../sessions/session-store.port.js';
import { INCIDENT_STATUSES, type Incident, type IncidentStatus, type SessionRecord } from '../../sessions/session-record.js';
import type { SessionReviewService } from '../../sessions/session-review.service.js';
import { NotFound } from '../../errors.js';
import { route, type RouteSpec } from '../route.js';
import { requestView } from '../views.js';
import { errorSchema } from '../common.schema.js';
import { incidentView as incidentSchema, pageOf, requestView as requestSchema, sessionEventView, sessionView as sessionSchema } from '../response.schema.js';

const limit = z.coerce.number().int().min(1).max(500).default(50);
const cursor = z.string().max(200).optional();
const bool = z.enum(['true', 'false']).transform((v) => v === 'true');
const note = z.string().trim().min(1).max(4000);

const sessionListQuery = z.strictObject({
  reviewed: bool.optional(),
  flagged: bool.optional(),
  requestId: z.string().max(64).optional(),
  account: z.string().max(256).optional(),
  cursor,
  limit,
});
const sessionGetQuery = z.strictObject({
  offset: z.coerce.number().int().min(0).default(0),
  limit: z.coerce.number().int().min(1).max(5000).default(1000),
});
const reviewBody = z
  .strictObject({ verdict: z.enum(['ok', 'escalate']), note: note.optional() })
  .refine((b) => b.verdict === 'ok' || b.note !== undefined, { path: ['note'], message: 'an escalation needs a note saying what is wrong' });
const signOffBody = z.strictObject({ note: note.optional() });
const incidentListQuery = z.strictObject({ status: z.enum(INCIDENT_STATUSES as [IncidentStatus, ...IncidentStatus[]]).optional(), cursor, limit });
const incidentPatch = z
  .strictObject({ status: z.enum(INCIDENT_STATUSES as [IncidentStatus, ...IncidentStatus[]]).optional(), handlingNote: note.optional() })
  .refine((b) => b.status !== undefined || b.handlingNote !== undefined, { message: 'give a status, a handlingNote or both' });

function cursorOf(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = decodeCursor(value);
  if (n === undefined) throw new ValidationError('invalid cursor', [{ field: 'cursor', message: 'not a cursor returned by this API' }]);
  return n;
}

/** The public shape of a session: list position, flag keys and where an archived session's file is are internal. */
function sessionView(s: SessionRecord) {
  const body: Partial<SessionRecord> = { ...s };
  delete body.n;
  delete body.archive;
  const flags = s.flags.map((f) => ({ code: f.code, at: f.at, ...(f.eventId ? { eventId: f.eventId } : {}), detail: f.detail }));
  return { ...(body as Omit<SessionRecord, 'n'>), reviewed: s.review !== undefined, flagged: flags.length > 0, flags };
}

function incidentView(i: Incident): Omit<Incident, 'n'> {
  const body: Partial<Incident> = { ...i };
  delete body.n;
  return body as Omit<Incident, 'n'>;
}

/** Session events in (log sources), sessions and incidents out (auditors). */
export function sessionRoutes(deps: {
  ingest: SessionIngestService;
  query: SessionQueries;
  reviews: SessionReviewService;
  incidents: IncidentService;
  now: () => Date;
}): RouteSpec[] {
  const { ingest, query, reviews, incidents } = deps;
  const session = async (id: string) => {
    const s = await query.getSession(id);
    if (!s) throw new NotFound(`session ${id} not found`);
    return s;
  };
  return [
    route({
      method: 'post',
      path: '/v1/session-events',
      roles: ['log-source'],
      tag: 'sessions',
      summary: 'Send a batch of at most 1,000 session events; 202 once durably stored; retrying a batch is safe',
      body: sessionBatchSchema,
      operationId: 'sendSessionEvents',
      responses: {
        202: { description: 'stored', schema: z.object({ accepted: z.number().int(), duplicates: z.number().int() }) },
        413: { description: 'more than 1,000 events', schema: errorSchema },
      },
      handle: async ({ actor, body }) => {
        const r = await ingest.ingest(validateBatch(body.events), { origin: 'http', actor: actor.name });
        return { status: 202, body: { accepted: r.accepted, duplicates: r.duplicates } };
      },
    }),
    route({
      method: 'get',
      path: '/v1/sessions/overdue',
      roles: ['auditor'],
      tag: 'sessions',
      summary: 'Sessions whose review is overdue (unreviewed longer than sessions.reviewDueDays after they ended), oldest first',
      query: z.strictObject({ cursor, limit }),
      operationId: 'listOverdueSessions',
      responses: { 200: { description: 'a page of sessions overdue for review', schema: pageOf(sessionSchema.extend({ reviewDueAt: z.string() })) } },
      handle: async ({ query: q }) => {
        const page = await query.overdue(deps.now().getTime(), cursorOf(q.cursor) ?? 0, q.limit);
        return { status: 200, body: { items: page.items.map((s) => ({ ...sessionView(s), reviewDueAt: s.reviewDueAt })), nextCursor: page.nextCursor } };
      },
    }),
    route({
      method: 'get',
      path: '/v1/sessions',
      roles: ['auditor'],
      tag: 'sessions',
      summary: 'Sessions, flagged first, newest first',
      query: sessionListQuery,
      operationId: 'listSessions',
      responses: { 200: { description: 'a page of sessions', schema: pageOf(sessionSchema) } },
      handle: async ({ query: q }) => {
        const { cursor: c, limit: l, ...filter } = q;
        const page = await query.listSessions(filter, cursorOf(c), l);
        return { status: 200, body: { items: page.items.map(sessionView), nextCursor: page.nextCursor } };
      },
    }),
    route({
      method: 'get',
      path: '/v1/sessions/:id',
      roles: ['auditor'],
      tag: 'sessions',
      summary: 'One session with its events (in time order) and flags',
      query: sessionGetQuery,
      operationId: 'getSession',
      responses: {
        200: {
          description: 'the session with a slice of its events',
          schema: sessionSchema.extend({ events: z.array(sessionEventView), nextOffset: z.number().int().nullable() }),
        },
      },
      handle: async ({ params, query: q }) => {
        const s = await session(params.id!);
        const events = await query.getEvents(s, q.offset, q.limit);
        const more = q.offset + events.length < s.eventCount;
        return { status: 200, body: { ...sessionView(s), events, nextOffset: more ? q.offset + events.length : null } };
      },
    }),
    route({
      method: 'post',
      path: '/v1/sessions/:id/review',
      roles: ['auditor'],
      tag: 'sessions',
      summary: 'Review a session: ok, or escalate with a note (opens an incident); the last review of an ended request closes it',
      body: reviewBody,
      operationId: 'reviewSession',
      responses: {
        200: {
          description: 'the session reviewed; the incident an escalation opened; the request if this review closed it',
          schema: z.object({
            session: sessionSchema,
            incident: incidentSchema.nullable(),
            requestClosed: z.string().nullable().describe('id of the request this review closed'),
          }),
        },
      },
      handle: async ({ actor, params, body }) => {
        const r = await reviews.review(actor.name, params.id!, body.verdict, body.note);
        return {
          status: 200,
          body: { session: sessionView(r.session), incident: r.incident ? incidentView(r.incident) : null, requestClosed: r.requestClosed ?? null },
        };
      },
    }),
    route({
      method: 'post',
      path: '/v1/requests/:id/sign-off',
      roles: ['auditor'],
      tag: 'sessions',
      summary: 'Close an expired or revoked request none of whose sessions awaits review (also one with no sessions)',
      body: signOffBody,
      operationId: 'signOffRequest',
      responses: { 200: { description: 'the request, closed', schema: requestSchema } },
      handle: async ({ actor, params, body }) => ({ status: 200, body: requestView(await reviews.signOff(actor.name, params.id!, body.note)) }),
    }),
    route({
      method: 'get',
      path: '/v1/incidents',
      roles: ['auditor'],
      tag: 'incidents',
      summary: 'Incidents from escalated sessions, newest first',
      query: incidentListQuery,
      operationId: 'listIncidents',
      responses: { 200: { description: 'a page of incidents', schema: pageOf(incidentSchema) } },
      handle: async ({ query: q }) => {
        const page = await query.listIncidents(q.status, cursorOf(q.cursor), q.limit);
        return { status: 200, body: { items: page.items.map(incidentView), nextCursor: page.nextCursor } };
      },
    }),
    route({
      method: 'get',
      path: '/v1/incidents/:id',
      roles: ['auditor'],
      tag: 'incidents',
      summary: 'One incident with its handling history',
      operationId: 'getIncident',
      responses: { 200: { description: 'the incident', schema: incidentSchema } },
      handle: async ({ params }) => {
        const i = await query.getIncident(params.id!);
        if (!i) throw new NotFound(`incident ${params.id} not found`);
        return { status: 200, body: incidentView(i) };
      },
    }),
    route({
      method: 'patch',
      path: '/v1/incidents/:id',
      roles: ['auditor'],
      tag: 'incidents',
      summary: 'Record the handling of an incident: handling note and/or status (open, handling, resolved — resolving needs a note)',
      body: incidentPatch,
      operationId: 'updateIncident',
      responses: { 200: { description: 'the incident', schema: incidentSchema } },
      handle: async ({ actor, params, body }) => ({ status: 200, body: incidentView(await incidents.update(actor.name, params.id!, body)) }),
    }),
  ];
}
