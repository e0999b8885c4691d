import type { AuditEvent } from '../audit/audit-event.js';
import type { AccessRequest, Person, Vendor } from '../domain/types.js';
import type { Incident, SessionRecord } from '../sessions/session-record.js';
import type { EvidenceRequest } from './evidence-pack.schema.js';

/**
 * Pure mappings from the stored records to the sections of an evidence
 * pack: what each section shows, and nothing the pack does not need (no
 * list positions, no credentials, no session events).
 */

/** A request filed as an exception (clause 1.9), as the exceptions feature records it on the request. */
export interface RequestException {
  justification: string;
  memoRef: string;
  rules?: string[];
  approvals?: { by: string; at: string; role?: string; comment?: string }[];
}

type Section = EvidenceRequest;

export function formOf(r: AccessRequest): Section['form'] {
  const { id, status, requester, workDescription, targetSystems, groups, validFrom, validTo, createdAt } = r;
  return { id, status, requester, workDescription, targetSystems, groups, validFrom, validTo, createdAt };
}

export function vendorOf(v: Vendor): Section['vendor'] {
  const { id, name, contractRef, contractEndsAt, status, terminatedAt, terminationReason } = v;
  return { id, name, contractRef, contractEndsAt, status, ...defined({ terminatedAt, terminationReason }) };
}

export function personOf(p: Person): Section['person'] {
  // Read loosely: an erased person (clause 1.1.2) has no name, e-mail or phone left, only erasedAt.
  const { id, fullName, latinName, email, phone, ndaRef, ndaSignedAt, status, departedAt, departureReason, erasedAt } = p as Person & {
    fullName?: string;
    email?: string;
    erasedAt?: string;
  };
  return { id, ndaRef, ndaSignedAt, status, ...defined({ fullName, latinName, email, phone, departedAt, departureReason, erasedAt }) };
}

/** Approval, rejection and cancellation, oldest first, each with who and when. */
export function decisionsOf(r: AccessRequest): Section['decisions'] {
  const out: Section['decisions'] = [];
  if (r.approval) out.push({ kind: 'approval', by: r.approval.by, at: r.approval.at, role: 'approver', ...defined({ comment: r.approval.comment }) });
  if (r.rejection) out.push({ kind: 'rejection', by: r.rejection.by, at: r.rejection.at, role: 'approver', comment: r.rejection.reason });
  if (r.cancellation) out.push({ kind: 'cancellation', by: r.cancellation.by, at: r.cancellation.at });
  return out.sort((a, b) => a.at.localeCompare(b.at));
}

export function exceptionOf(r: AccessRequest): Section['exception'] {
  const e = (r as AccessRequest & { exception?: RequestException }).exception;
  if (!e) return null;
  return {
    justification: e.justification,
    memoRef: e.memoRef,
    rules: e.rules ?? [],
    approvals: (e.approvals ?? []).map((a) => ({
      kind: 'exception-approval' as const,
      by: a.by,
      at: a.at,
      ...defined({ role: a.role ?? 'exception-approver', comment: a.comment }),
    })),
  };
}

export function accountOf(r: AccessRequest): Section['account'] {
  if (!r.account) return null;
  const { username, dn, state, createdAt, enabledAt, disabledAt, deletedAt } = r.account;
  return { username, state, ...defined({ dn, createdAt, enabledAt, disabledAt, deletedAt }) };
}

export function historyOf(r: AccessRequest): Section['history'] {
  return r.history.map(({ at, actor, action, from, to, note }) => ({ at, actor, action, ...defined({ from, to, note }) }));
}

/** The worker's records of directory writes the directory accepted, from the request's audit events. */
export function confirmationsOf(requestId: string, events: AuditEvent[]): Section['directoryConfirmations'] {
  return events
    .filter((e) => e.subject === `request:${requestId}` && e.action.startsWith('account.'))
    .map((e) => ({ seq: e.seq, at: e.at, action: e.action, actor: e.actor, outcome: e.outcome, dn: typeof e.details.dn === 'string' ? e.details.dn : null }));
}

const NEVER_LIVE = new Set(['pending', 'rejected', 'cancelled']);
const ENDED = new Set(['expired', 'revoked', 'closed']);

/**
 * How access ended or is to end: due at validTo for an expiry, at the time
 * revocation was asked for otherwise (as the revoke job measures it); done
 * when the directory confirmed the account disabled (or, for a request that
 * never had an account, when it was recorded ended). The lag is done − due.
 */
export function revocationOf(r: AccessRequest, now: Date): Section['revocation'] {
  if (NEVER_LIVE.has(r.status) || (r.status === 'failed' && !r.account && !r.revocation)) return null;
  const trigger = r.revocation?.trigger ?? 'expiry';
  const dueAt = trigger === 'expiry' || !r.revocation ? r.validTo : r.revocation.requestedAt;
  const endedAt = r.history.find((h) => h.to === 'expired' || h.to === 'revoked')?.at;
  const doneAt = r.account?.disabledAt ?? (ENDED.has(r.status) ? (endedAt ?? null) : null);
  const state = doneAt ? 'done' : Date.parse(dueAt) <= now.getTime() ? 'overdue' : 'scheduled';
  return {
    state,
    trigger,
    by: r.revocation?.by ?? null,
    requestedAt: r.revocation?.requestedAt ?? null,
    ...defined({ reason: r.revocation?.reason }),
    dueAt,
    doneAt,
    lagMs: doneAt ? Date.parse(doneAt) - Date.parse(dueAt) : null,
  };
}

export function sessionOf(s: SessionRecord): Section['sessions']['items'][number] {
  const { id, account, source, sourceIps, targets, firstAt, lastAt, endedAt, eventCount, flags, review } = s;
  return {
    id,
    account,
    source,
    sourceIps,
    targets,
    firstAt,
    lastAt,
    ...defined({ endedAt }),
    eventCount,
    flags: flags.map(({ code, at, detail }) => ({ code, at, detail })),
    review: review ? { verdict: review.verdict, by: review.by, at: review.at, ...defined({ note: review.note, incidentId: review.incidentId }) } : null,
  };
}

export function incidentOf(i: Incident): Section['incidents'][number] {
  const { id, sessionId, flags, escalationNote, openedBy, openedAt, status, handlingNote, updatedAt, history } = i;
  return {
    id,
    sessionId,
    flags,
    escalationNote,
    openedBy,
    openedAt,
    status,
    ...defined({ handlingNote }),
    updatedAt,
    history: history.map((h) => ({ at: h.at, by: h.by, status: h.status, ...defined({ handlingNote: h.handlingNote }) })),
  };
}

/** The members of `o` that are not undefined (the pack leaves absent fields out rather than null them). */
function defined<T extends Record<string, unknown>>(o: T): { [K in keyof T]?: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as { [K in keyof T]?: Exclude<T[K], undefined> };
}
