import { z } from 'zod';
import { ROLES } from '../config/load-config.js';
import { REQUEST_STATUSES } from '../domain/types.js';
import { FLAG_CODES, SESSION_EVENT_TYPES } from '../sessions/session-record.js';

/**
 * What the API answers, as zod schemas: only for the OpenAPI document (the
 * console's typed client is generated from it), never used to parse. Times
 * are ISO 8601 strings. Keep each in step with the view that produces it
 * (views.ts, the route files).
 */

const time = z.string().describe('ISO 8601 date-time');
const role = z.enum(ROLES);

/** `{items, nextCursor}`: a page, newest first; pass nextCursor back as ?cursor= until it is null. */
export function pageOf(item: z.ZodType) {
  return z.object({ items: z.array(item), nextCursor: z.string().nullable() });
}

/** `{items}`: everything, unpaged. */
export function listOf(item: z.ZodType) {
  return z.object({ items: z.array(item) });
}

export const vendorView = z
  .object({
    id: z.string(),
    name: z.string(),
    contractRef: z.string(),
    contractEndsAt: time,
    status: z.enum(['active', 'terminated']),
    createdAt: time,
    createdBy: z.string(),
    terminatedAt: time.optional(),
    terminationReason: z.string().optional(),
  })
  .meta({ id: 'Vendor' });

export const personView = z
  .object({
    id: z.string(),
    vendorId: z.string(),
    /** Absent once erased (erasedAt), like latinName, email and phone. */
    fullName: z.string().optional(),
    latinName: z.string().optional(),
    email: z.string().optional(),
    phone: z.string().optional(),
    ndaSignedAt: time,
    ndaRef: z.string(),
    status: z.enum(['active', 'departed']),
    createdAt: time,
    createdBy: z.string(),
    departedAt: time.optional(),
    departureReason: z.string().optional(),
    departureScheduledAt: time.optional(),
    /** Set when the personal data was erased (clause 1.1.2): who erased it and when. */
    erasedAt: time.optional(),
    erasedBy: z.string().optional(),
  })
  .meta({ id: 'Person' });

const status = z.enum(REQUEST_STATUSES);
const by = { by: z.string(), at: time };

export const requestView = z
  .object({
    id: z.string(),
    personId: z.string(),
    vendorId: z.string(),
    requester: z.string(),
    workDescription: z.string(),
    targetSystems: z.array(z.string()),
    groups: z.array(z.string()),
    validFrom: time,
    validTo: time,
    status,
    createdAt: time,
    updatedAt: time,
    approval: z.object({ ...by, comment: z.string().optional() }).optional(),
    rejection: z.object({ ...by, reason: z.string() }).optional(),
    cancellation: z.object(by).optional(),
    exception: z
      .object({
        justification: z.string(),
        memoRef: z.string(),
        rules: z.array(z.string()).describe('the rules the exception relaxes'),
        approvals: z.array(z.object({ ...by, role: z.literal('exception-approver'), comment: z.string().optional() })),
      })
      .optional()
      .describe('clause 1.9: present when the request was filed as an exception'),
    revocation: z
      .object({
        trigger: z.enum(['expiry', 'manual', 'departure', 'vendor-terminated', 'contract-ended']),
        by: z.string(),
        requestedAt: time,
        reason: z.string().optional(),
      })
      .optional(),
    failure: z.object({ at: time, reason: z.string() }).optional(),
    account: z
      .object({ username: z.string(), dn: z.string().nullable(), state: z.enum(['creating', 'active', 'disabled', 'deleted']) })
      .nullable()
      .describe('null until the account is made'),
    credential: z.enum(['none', 'available', 'retrieved']),
    handover: z
      .object({
        issuedAt: time,
        issuedBy: z.string(),
        expiresAt: time,
        failedAttempts: z.number().int(),
        usedAt: time.optional(),
        burnedAt: time.optional(),
      })
      .optional()
      .describe("the vendor's pickup of the initial password (POST /v1/requests/:id/handover), without its secrets"),
    attempt: z.number().int(),
    history: z.array(
      z.object({ at: time, actor: z.string(), action: z.string(), from: status.optional(), to: status.optional(), note: z.string().optional() }),
    ),
    flags: z.array(z.object({ at: time, kind: z.string(), detail: z.string() })).optional(),
  })
  .meta({ id: 'Request' });

/** A departure or termination: what was revoked and cancelled, by request id. */
export const revocationOutcome = { revoked: z.array(z.string()), cancelled: z.array(z.string()) };

const flag = z.object({ code: z.enum(FLAG_CODES), at: time, eventId: z.string().optional(), detail: z.string() });
const origin = z.enum(['http', 'syslog', 'accesslog']);

export const sessionView = z
  .object({
    id: z.string(),
    account: z.string(),
    accountKnown: z.boolean(),
    requestId: z.string().optional(),
    personId: z.string().optional(),
    vendorId: z.string().optional(),
    source: z.string(),
    sourceSessionId: z.string().optional(),
    origin,
    sourceIps: z.array(z.string()),
    targets: z.array(z.string()),
    firstAt: time,
    lastAt: time,
    endedAt: time.optional(),
    eventCount: z.number().int(),
    flags: z.array(flag),
    review: z
      .object({ verdict: z.enum(['ok', 'escalate']), note: z.string().optional(), by: z.string(), at: time, incidentId: z.string().optional() })
      .optional(),
    continues: z.string().optional(),
    createdAt: time,
    updatedAt: time,
    reviewed: z.boolean(),
    flagged: z.boolean(),
  })
  .meta({ id: 'Session' });

export const sessionEventView = z.object({
  id: z.string(),
  at: time,
  type: z.enum(SESSION_EVENT_TYPES),
  account: z.string(),
  source: z.string(),
  origin,
  target: z.string().optional(),
  sourceIp: z.string().optional(),
  sourceSessionId: z.string().optional(),
  detail: z.string().optional(),
  raw: z.string().optional(),
  flags: z.array(z.enum(FLAG_CODES)).optional(),
});

const incidentStatus = z.enum(['open', 'handling', 'resolved']);
export const incidentView = z
  .object({
    id: z.string(),
    sessionId: z.string(),
    account: z.string(),
    requestId: z.string().optional(),
    personId: z.string().optional(),
    vendorId: z.string().optional(),
    flags: z.array(z.enum(FLAG_CODES)),
    escalationNote: z.string(),
    openedBy: z.string(),
    openedAt: time,
    status: incidentStatus,
    handlingNote: z.string().optional(),
    updatedAt: time,
    history: z.array(z.object({ at: time, by: z.string(), status: incidentStatus, handlingNote: z.string().optional() })),
  })
  .meta({ id: 'Incident' });

export const auditEventView = z
  .object({
    seq: z.number().int(),
    at: time,
    actor: z.string(),
    action: z.string(),
    subject: z.string(),
    outcome: z.enum(['success', 'failure', 'refused', 'warning']),
    details: z.record(z.string(), z.unknown()),
    prevHash: z.string(),
    hash: z.string(),
  })
  .meta({ id: 'AuditEvent' });

const verifyFields = {
  ok: z.boolean(),
  count: z.number().int().optional(),
  head: z.object({ seq: z.number().int(), hash: z.string() }).nullable().optional(),
  fromSeq: z.number().int().optional(),
  status: z.literal('intact-with-reanchors').optional(),
  reanchored: z.array(z.number().int()).optional(),
  archived: z
    .object({ segments: z.number().int(), throughSeq: z.number().int() })
    .optional()
    .describe('with ARCHIVE_DIR: seq 1–throughSeq are sealed in this many segments, whose seals were checked; count and fromSeq are the live tail'),
  firstBadSeq: z.number().int().optional().describe('when ok is false'),
  reason: z.string().optional().describe('when ok is false'),
};
export const auditVerifyView = z.object({ ...verifyFields, mirror: z.object({ ...verifyFields, behindBy: z.number().int().optional() }).optional() });

/** A token made through the API, or a bootstrap token of API_TOKENS_FILE; never its secret. */
export const tokenView = z
  .object({
    id: z.string().describe('file tokens: file:<name>'),
    name: z.string(),
    roles: z.array(role),
    source: z.enum(['api', 'file']),
    revocable: z.boolean().describe('false for API_TOKENS_FILE tokens: remove them from the file and restart'),
    createdBy: z.string().optional(),
    createdAt: time.optional(),
    rotatedBy: z.string().optional(),
    rotatedAt: time.optional(),
    lastUsedAt: time.optional(),
    note: z.string().optional().describe('for file tokens: how to change them'),
  })
  .meta({ id: 'Token' });

/** A token as created or rotated: the secret, this once. */
export const issuedTokenView = tokenView.extend({ token: z.string().describe('the bearer secret; shown only in this response') });

export const groupView = z
  .object({
    dn: z.string(),
    name: z.string(),
    grantable: z.boolean().describe('a request may name it'),
    privileged: z.boolean().describe('it is, or is nested in, a privileged group (clause 1.6.1)'),
    privilegedGroup: z.string().optional().describe('the privileged group it is or leads to'),
    reasons: z
      .array(z.object({ rule: z.string(), message: z.string() }))
      .describe('why a request naming it would be refused: the same rules (and messages) as filing'),
  })
  .meta({ id: 'Group' });
