import { z } from 'zod';
import { ValidationError } from '../../errors.js';
import { decodeRoomCursor } from '../../rooms/room-store.port.js';
import type { RoomRegisterService } from '../../rooms/room-register.service.js';
import { MEDIA_KINDS, VISIT_FLAG_CODES, type RoomReview, type RoomVisit } from '../../rooms/room-visit.js';
import { isoDateTime } from '../common.schema.js';
import { route, type RouteSpec } from '../route.js';
import { pageOf } from '../response.schema.js';

const text = (max: number) => z.string().trim().min(1).max(max);
const id = z.string().min(1).max(64);

const mediaItem = z.strictObject({
  kind: z.enum(MEDIA_KINDS),
  description: text(200).describe('make, model, colour: enough to recognise it at the door'),
  serial: text(100).optional().describe('serial number or asset tag; matched at exit when given'),
});

const visitCreateSchema = z.strictObject({
  personId: id,
  room: text(100),
  purpose: text(1000),
  escortedBy: z
    .string()
    .trim()
    .max(200)
    .nullish()
    .describe('the school staff member escorting the visitor; required (422 escort_required when missing or blank)'),
  requestId: id.optional().describe("the access request the visit serves; must be one of the person's"),
  media: z.array(mediaItem).max(50).default([]).describe('laptops and storage media carried in'),
});

const visitExitSchema = z.strictObject({
  mediaOut: z.array(mediaItem).max(50).describe('everything carried out (empty: nothing)'),
});

const visitListQuerySchema = z
  .strictObject({
    open: z
      .enum(['true', 'false'])
      .transform((v) => v === 'true')
      .optional()
      .describe('true: still inside; false: exited'),
    from: isoDateTime.optional().describe('entered at or after'),
    to: isoDateTime.optional().describe('entered at or before'),
    personId: id.optional(),
    vendorId: id.optional(),
    requestId: id.optional(),
    cursor: z.string().max(200).optional(),
    limit: z.coerce.number().int().min(1).max(500).default(50),
  })
  .refine((q) => !q.from || !q.to || q.from.getTime() <= q.to.getTime(), { path: ['to'], message: 'to must not be before from' });

const reviewCreateSchema = z.strictObject({
  from: isoDateTime,
  to: isoDateTime.describe('not in the future, after from'),
  note: text(2000).describe("the reviewer's findings"),
});

const time = z.string().describe('ISO 8601 date-time');
const mediaView = z.object({ kind: z.enum(MEDIA_KINDS), description: z.string(), serial: z.string().optional() });

export const roomVisitView = z
  .object({
    id: z.string(),
    personId: z.string(),
    vendorId: z.string(),
    room: z.string(),
    purpose: z.string(),
    escortedBy: z.string(),
    requestId: z.string().nullable(),
    media: z.array(mediaView),
    enteredAt: time,
    recordedBy: z.string(),
    exitedAt: time.optional(),
    exitRecordedBy: z.string().optional(),
    mediaOut: z.array(mediaView).optional(),
    flags: z
      .array(mediaView.extend({ code: z.enum(VISIT_FLAG_CODES) }))
      .describe('at exit: media left behind (not_taken_out) or carried out unregistered (not_brought_in)'),
  })
  .meta({ id: 'RoomVisit' });

export const roomReviewView = z
  .object({
    id: z.string(),
    from: time,
    to: time,
    note: z.string(),
    signedBy: z.string(),
    signedAt: time,
    visits: z.number().int(),
    openVisits: z.number().int(),
    flaggedVisits: z.number().int(),
  })
  .meta({ id: 'RoomReview' });

const reviewListView = z.object({
  items: z.array(roomReviewView),
  status: z
    .object({
      state: z.enum(['clear', 'pending', 'overdue']),
      oldestUnreviewedAt: time.nullable(),
      dueAt: time.nullable(),
      reviewDueDays: z.number().int(),
    })
    .meta({ id: 'RoomReviewStatus' }),
});

function visitView(v: RoomVisit) {
  const { n: _n, ...rest } = v;
  return rest;
}
function reviewView(r: RoomReview) {
  const { n: _n, ...rest } = r;
  return rest;
}

function cursorOf(cursor: string | undefined): number | undefined {
  if (cursor === undefined) return undefined;
  const n = decodeRoomCursor(cursor);
  if (n === undefined) throw new ValidationError('invalid cursor', [{ field: 'query.cursor', rule: 'cursor', message: 'not a cursor returned by this API' }]);
  return n;
}

/** The machine-room register (clause 1.8): requesters record visits, approvers sign periods off, auditors read. */
export function roomVisitRoutes(deps: { register: RoomRegisterService }): RouteSpec[] {
  const { register } = deps;
  const readers = ['requester', 'approver', 'auditor'] as const;
  return [
    route({
      method: 'post',
      path: '/v1/room-visits',
      roles: ['requester'],
      tag: 'room-visits',
      summary: 'Record a vendor person entering a machine room, escorted, with the media they carry (audited as room.visit.entered)',
      body: visitCreateSchema,
      operationId: 'enterRoom',
      responses: { 201: { description: 'the visit, open', schema: roomVisitView } },
      handle: async ({ actor, body }) => ({ status: 201, body: visitView(await register.enter(actor.name, body)) }),
    }),
    route({
      method: 'get',
      path: '/v1/room-visits',
      roles: [...readers],
      tag: 'room-visits',
      summary: 'The register, latest entry first, with the flags of each exited visit',
      query: visitListQuerySchema,
      operationId: 'listRoomVisits',
      responses: { 200: { description: 'a page of visits', schema: pageOf(roomVisitView) } },
      handle: async ({ query }) => {
        const { cursor, limit, from, to, ...rest } = query;
        const filter = { ...rest, ...(from ? { fromMs: from.getTime() } : {}), ...(to ? { toMs: to.getTime() } : {}) };
        const page = await register.page(filter, cursorOf(cursor), limit);
        return { status: 200, body: { items: page.items.map(visitView), nextCursor: page.nextCursor } };
      },
    }),
    route({
      method: 'post',
      path: '/v1/room-visits/reviews',
      roles: ['approver'],
      tag: 'room-visits',
      summary: 'Sign off a period of the register (audited as room.review.signed)',
      body: reviewCreateSchema,
      operationId: 'signRoomReview',
      responses: { 201: { description: 'the review', schema: roomReviewView } },
      handle: async ({ actor, body }) => ({ status: 201, body: reviewView(await register.signReview(actor.name, body)) }),
    }),
    route({
      method: 'get',
      path: '/v1/room-visits/reviews',
      roles: [...readers],
      tag: 'room-visits',
      summary: 'Every review of the register, latest first, and whether a review is overdue (policy roomRegister.reviewDueDays)',
      operationId: 'listRoomReviews',
      responses: { 200: { description: 'the reviews and the review status', schema: reviewListView } },
      handle: async () => {
        const { items, status } = await register.reviews();
        return { status: 200, body: { items: items.map(reviewView), status } };
      },
    }),
    route({
      method: 'get',
      path: '/v1/room-visits/:id',
      roles: [...readers],
      tag: 'room-visits',
      summary: 'One visit',
      operationId: 'getRoomVisit',
      responses: { 200: { description: 'the visit', schema: roomVisitView } },
      handle: async ({ params }) => ({ status: 200, body: visitView(await register.get(params.id!)) }),
    }),
    route({
      method: 'post',
      path: '/v1/room-visits/:id/exit',
      roles: ['requester'],
      tag: 'room-visits',
      summary: 'Record the exit and the media carried out; what does not match is flagged (room.visit.exited, room.media.unreturned); 409 once exited',
      body: visitExitSchema,
      operationId: 'exitRoom',
      responses: { 200: { description: 'the visit, exited, with its flags', schema: roomVisitView } },
      handle: async ({ actor, params, body }) => ({ status: 200, body: visitView(await register.exit(actor.name, params.id!, body.mediaOut)) }),
    }),
  ];
}
