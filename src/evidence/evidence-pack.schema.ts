import { z } from 'zod';
import { REQUEST_STATUSES } from '../domain/types.js';
import { FLAG_CODES } from '../sessions/session-record.js';

/**
 * An evidence pack (clause 1.1.4), as zod schemas: the one description of
 * what `GET /v1/requests/:id/evidence` and `GET /v1/vendors/:id/evidence`
 * answer with `?format=json`, from which the TypeScript types below are
 * inferred, the OpenAPI document is made, and the HTML is rendered
 * (evidence-html.ts renders exactly these fields, nothing else).
 */

const time = z.string().describe('ISO 8601 date-time');
const actorAt = { by: z.string(), at: time };

/** The "information service application form" as filed (clause 1.6.3). */
export const evidenceForm = z.object({
  id: z.string(),
  status: z.enum(REQUEST_STATUSES),
  requester: z.string(),
  workDescription: z.string(),
  targetSystems: z.array(z.string()),
  groups: z.array(z.string()),
  validFrom: time,
  validTo: time,
  createdAt: time,
});

export const evidenceVendor = z.object({
  id: z.string(),
  name: z.string(),
  contractRef: z.string(),
  contractEndsAt: time,
  status: z.enum(['active', 'terminated']),
  terminatedAt: time.optional(),
  terminationReason: z.string().optional(),
});

/** The vendor person and their confidentiality undertaking (NDA). */
export const evidencePerson = z.object({
  id: z.string(),
  fullName: z.string().optional().describe('absent once the personal data was erased (erasedAt)'),
  latinName: z.string().optional(),
  email: z.string().optional(),
  phone: z.string().optional(),
  ndaRef: z.string(),
  ndaSignedAt: time,
  status: z.enum(['active', 'departed']),
  departedAt: time.optional(),
  departureReason: z.string().optional(),
  erasedAt: time.optional(),
});

/** A decision on the request, with who and when. */
export const evidenceDecision = z.object({
  kind: z.enum(['approval', 'exception-approval', 'rejection', 'cancellation']),
  ...actorAt,
  role: z.string().optional(),
  comment: z.string().optional(),
});

/** A request filed as an exception to the rules (clause 1.9), with its signed memo and approvals. */
export const evidenceException = z.object({
  justification: z.string(),
  memoRef: z.string(),
  rules: z.array(z.string()).describe('the relaxable rules the exception relaxes'),
  approvals: z.array(evidenceDecision),
});

export const evidenceAccount = z.object({
  username: z.string(),
  dn: z.string().optional(),
  state: z.enum(['creating', 'active', 'disabled', 'deleted']),
  createdAt: time.optional(),
  enabledAt: time.optional(),
  disabledAt: time.optional(),
  deletedAt: time.optional(),
});

export const evidenceHistoryEntry = z.object({
  at: time,
  actor: z.string(),
  action: z.string(),
  from: z.string().optional(),
  to: z.string().optional(),
  note: z.string().optional(),
});

/** A directory write the worker recorded once the directory accepted it (account.created / disabled / deleted). */
export const evidenceConfirmation = z.object({
  seq: z.number().int(),
  at: time,
  action: z.string(),
  actor: z.string(),
  outcome: z.string(),
  dn: z.string().nullable(),
});

/** How access ended: the trigger, when it was due, when the directory confirmed, and the lag between. */
export const evidenceRevocation = z.object({
  state: z.enum(['done', 'scheduled', 'overdue']).describe('done: the account is disabled; scheduled: due later; overdue: due and not yet done'),
  trigger: z.enum(['expiry', 'manual', 'departure', 'vendor-terminated', 'contract-ended']),
  by: z.string().nullable(),
  requestedAt: time.nullable(),
  reason: z.string().optional(),
  dueAt: time,
  doneAt: time.nullable(),
  lagMs: z.number().int().nullable().describe('doneAt − dueAt (negative when access ended before it was due)'),
});

export const evidenceSession = z.object({
  id: z.string(),
  account: z.string(),
  source: z.string(),
  sourceIps: z.array(z.string()),
  targets: z.array(z.string()),
  firstAt: time,
  lastAt: time,
  endedAt: time.optional(),
  eventCount: z.number().int(),
  flags: z.array(z.object({ code: z.enum(FLAG_CODES), at: time, detail: z.string() })),
  review: z.object({ verdict: z.enum(['ok', 'escalate']), note: z.string().optional(), ...actorAt, incidentId: z.string().optional() }).nullable(),
});

export const evidenceIncident = z.object({
  id: z.string(),
  sessionId: z.string(),
  flags: z.array(z.enum(FLAG_CODES)),
  escalationNote: z.string(),
  openedBy: z.string(),
  openedAt: time,
  status: z.enum(['open', 'handling', 'resolved']),
  handlingNote: z.string().optional(),
  updatedAt: time,
  history: z.array(z.object({ at: time, by: z.string(), status: z.enum(['open', 'handling', 'resolved']), handlingNote: z.string().optional() })),
});

const mediaItem = z.object({ kind: z.string(), description: z.string(), serial: z.string().optional() });

/** A machine-room visit (clause 1.8): escort, media in and out, and what did not match at exit. */
export const evidenceRoomVisit = z.object({
  id: z.string(),
  personId: z.string(),
  requestId: z.string().nullable(),
  room: z.string(),
  purpose: z.string(),
  escortedBy: z.string(),
  enteredAt: time,
  exitedAt: time.optional(),
  media: z.array(mediaItem),
  mediaOut: z.array(mediaItem).optional(),
  flags: z.array(mediaItem.extend({ code: z.string().describe('not_taken_out | not_brought_in') })),
});

/** Room visits, or why there are none to show (the register is not part of this deployment). */
export const evidenceRoomVisits = z.object({
  available: z.boolean().describe('false when the machine-room register is not part of this deployment'),
  items: z.array(evidenceRoomVisit),
  truncated: z.boolean(),
});

/** Everything about one request. */
export const evidenceRequest = z.object({
  form: evidenceForm,
  vendor: evidenceVendor,
  person: evidencePerson,
  decisions: z.array(evidenceDecision),
  exception: evidenceException.nullable(),
  account: evidenceAccount.nullable(),
  history: z.array(evidenceHistoryEntry),
  directoryConfirmations: z.array(evidenceConfirmation),
  revocation: evidenceRevocation.nullable(),
  sessions: z.object({ items: z.array(evidenceSession), truncated: z.boolean() }),
  incidents: z.array(evidenceIncident),
  roomVisits: evidenceRoomVisits,
});

/** One audit event the pack rests on: enough to find it in the trail and recheck its hash. */
export const evidenceProofEvent = z.object({
  seq: z.number().int(),
  at: time,
  actor: z.string(),
  action: z.string(),
  subject: z.string(),
  outcome: z.string(),
  prevHash: z.string(),
  hash: z.string(),
});

/** The audit events behind the pack and the verification of the chain from the first of them to the head. */
export const evidenceProof = z.object({
  subjects: z.array(z.string()).describe('the audit subjects whose events the pack rests on'),
  events: z.array(evidenceProofEvent),
  eventCount: z.number().int().describe('events found; more than events.length when truncated'),
  truncated: z.boolean(),
  verification: z.object({
    ok: z.boolean(),
    verifiedAt: time,
    fromSeq: z.number().int().nullable().describe('the first seq verified (the oldest event of the pack); null when the pack rests on no event'),
    count: z.number().int().describe('events verified (failure: events that passed before it)'),
    head: z.object({ seq: z.number().int(), hash: z.string() }).nullable().describe('the chain head the range was verified up to'),
    firstBadSeq: z.number().int().optional(),
    reason: z.string().optional(),
  }),
});

export const requestEvidencePack = z
  .object({
    kind: z.literal('request'),
    generatedAt: time,
    generatedBy: z.string(),
    request: evidenceRequest,
    proof: evidenceProof,
  })
  .meta({ id: 'RequestEvidencePack' });

export const vendorEvidencePack = z
  .object({
    kind: z.literal('vendor'),
    generatedAt: time,
    generatedBy: z.string(),
    vendor: evidenceVendor,
    period: z.object({ from: time, to: time }),
    requests: z.array(evidenceRequest),
    page: z.object({
      total: z.number().int().describe('requests of the vendor whose validity overlaps the period'),
      offset: z.number().int(),
      returned: z.number().int(),
      truncated: z.boolean(),
      nextCursor: z.string().nullable().describe('pass as ?cursor= for the next requests; null on the last page'),
    }),
    roomVisits: evidenceRoomVisits,
    proof: evidenceProof,
  })
  .meta({ id: 'VendorEvidencePack' });

export type EvidenceRequest = z.output<typeof evidenceRequest>;
export type EvidenceProof = z.output<typeof evidenceProof>;
export type EvidenceRoomVisits = z.output<typeof evidenceRoomVisits>;
export type EvidenceRoomVisit = z.output<typeof evidenceRoomVisit>;
export type RequestEvidencePack = z.output<typeof requestEvidencePack>;
export type VendorEvidencePack = z.output<typeof vendorEvidencePack>;
export type EvidencePack = RequestEvidencePack | VendorEvidencePack;
