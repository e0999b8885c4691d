import type { AuditInput } from '../audit/audit-event.js';
import { Conflict, Forbidden, type ErrorDetail } from '../errors.js';
import type { RequestUpdate } from './update-request.js';
import { moveRequest } from './request-state.js';
import type { AccessRequest } from './types.js';

/** What the requester files to ask for an exception (clause 1.9): why, and the signed memo it rests on. */
export interface ExceptionFiling {
  justification: string;
  memoRef: string;
}

/**
 * Clause 1.9 at filing: which of the `broken` rules refuse the request.
 * Without an exception every broken rule does (those an exception could
 * relax say `relaxable: true`). With one, only the rules no exception
 * relaxes do, and an exception for a request that breaks nothing is itself
 * refused (`exception_not_needed`): the exceptions on record are then
 * exactly the requests that needed one, and none waits for a second
 * approval it does not need.
 */
export function refusingRules(
  broken: ErrorDetail[],
  exception: ExceptionFiling | undefined,
  notRelaxed: (broken: ErrorDetail[]) => ErrorDetail[],
): ErrorDetail[] {
  if (!exception) return broken;
  if (broken.length === 0) return [{ rule: 'exception_not_needed', field: 'exception', message: 'the request breaks no rule; file it without an exception' }];
  return notRelaxed(broken);
}

/** Who may give the other approval: never the requester, never the one who gave the first. */
export function checkDistinctApprovers(r: AccessRequest, actor: string, as: 'approver' | 'exception-approver'): void {
  if (!r.exception) return;
  const other = as === 'approver' ? r.exception.approvals.map((a) => a.by) : r.approval ? [r.approval.by] : [];
  if (other.includes(actor))
    throw new Forbidden('the usual approval and the exception approval must come from two different people', [
      { rule: 'distinct_exception_approver', message: 'exception approver must differ from the requester and from the approver' },
    ]);
}

/**
 * The usual approval of a request (approve): moves it to approved, unless it
 * carries an exception still without its exception approval; then the
 * approval is recorded and the request stays pending.
 */
export function usualApproval(r: AccessRequest, actor: string, at: Date, comment?: string): RequestUpdate {
  if (r.status !== 'pending') throw new Conflict(`request is ${r.status}; only a pending request can be approved`);
  if (r.approval) throw new Conflict('the request is already approved; it waits for its exception approval');
  checkDistinctApprovers(r, actor, 'approver');
  const approval = { by: actor, at: at.toISOString(), ...(comment ? { comment } : {}) };
  const subject = `request:${r.id}`;
  if (r.exception && r.exception.approvals.length === 0) {
    return {
      next: {
        ...r,
        approval,
        updatedAt: approval.at,
        history: [...r.history, { at: approval.at, actor, action: 'approval.recorded', ...(comment ? { note: comment } : {}) }],
      },
      events: [
        {
          actor,
          action: 'request.approval_recorded',
          subject,
          outcome: 'success',
          details: { awaiting: 'exception-approval', ...(comment ? { comment } : {}) },
        },
      ],
    };
  }
  return {
    next: { ...moveRequest(r, 'approved', actor, at, comment), approval },
    events: [{ actor, action: 'request.approved', subject, outcome: 'success', details: { from: r.status, to: 'approved', ...(comment ? { comment } : {}) } }],
  };
}

/**
 * The exception approval (role exception-approver): recorded with the
 * exception; when the usual approval is already there, the request becomes
 * approved in the same step.
 */
export function exceptionApproval(r: AccessRequest, actor: string, at: Date, comment?: string): RequestUpdate {
  if (!r.exception) throw new Conflict('the request carries no exception');
  if (r.status !== 'pending') throw new Conflict(`request is ${r.status}; only a pending request can be approved`);
  if (r.exception.approvals.length > 0) throw new Conflict('the exception is already approved');
  checkDistinctApprovers(r, actor, 'exception-approver');
  const when = at.toISOString();
  const exception = {
    ...r.exception,
    approvals: [...r.exception.approvals, { by: actor, at: when, role: 'exception-approver' as const, ...(comment ? { comment } : {}) }],
  };
  const subject = `request:${r.id}`;
  const approved: AuditInput = {
    actor,
    action: 'exception.approved',
    subject,
    outcome: 'success',
    details: { rules: r.exception.rules, memoRef: r.exception.memoRef, ...(comment ? { comment } : {}), ...(r.approval ? {} : { awaiting: 'approval' }) },
  };
  const recorded = {
    ...r,
    exception,
    updatedAt: when,
    history: [...r.history, { at: when, actor, action: 'exception.approved', ...(comment ? { note: comment } : {}) }],
  };
  if (!r.approval) return { next: recorded, events: [approved] };
  return {
    next: moveRequest(recorded, 'approved', actor, at),
    events: [
      approved,
      { actor, action: 'request.approved', subject, outcome: 'success', details: { from: r.status, to: 'approved', approvedBy: r.approval.by } },
    ],
  };
}

/** The exception approver refuses the exception: the request is rejected. */
export function exceptionRejection(r: AccessRequest, actor: string, at: Date, reason: string): RequestUpdate {
  if (!r.exception) throw new Conflict('the request carries no exception');
  const subject = `request:${r.id}`;
  return {
    next: { ...moveRequest(r, 'rejected', actor, at, reason), rejection: { by: actor, at: at.toISOString(), reason } },
    events: [
      { actor, action: 'exception.rejected', subject, outcome: 'success', details: { rules: r.exception.rules, memoRef: r.exception.memoRef, reason } },
      { actor, action: 'request.rejected', subject, outcome: 'success', details: { from: r.status, to: 'rejected', reason } },
    ],
  };
}
