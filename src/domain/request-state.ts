import { Conflict } from '../errors.js';
import type { AccessRequest, RequestStatus } from './types.js';

/** The allowed moves of the request state machine (API.md, Request statuses). */
const TRANSITIONS: Record<RequestStatus, readonly RequestStatus[]> = {
  pending: ['approved', 'rejected', 'cancelled'],
  approved: ['provisioning', 'cancelled', 'revoked', 'expired', 'failed'],
  provisioning: ['active', 'failed', 'revoked', 'expired'],
  active: ['expired', 'revoked'],
  expired: ['closed'],
  revoked: ['closed'],
  failed: ['approved', 'revoked', 'expired'],
  closed: [],
  rejected: [],
  cancelled: [],
};

export function canMove(from: RequestStatus, to: RequestStatus): boolean {
  return TRANSITIONS[from].includes(to);
}

/** Returns a copy of the request moved to `to`, with a history entry; 409 if the move is not allowed. */
export function moveRequest(request: AccessRequest, to: RequestStatus, actor: string, at: Date, note?: string): AccessRequest {
  if (!canMove(request.status, to))
    throw new Conflict(`request is ${request.status}; it cannot become ${to}`, [
      { rule: 'state', message: `allowed from ${request.status}: ${TRANSITIONS[request.status].join(', ') || 'none'}` },
    ]);
  const when = at.toISOString();
  return {
    ...request,
    status: to,
    updatedAt: when,
    history: [...request.history, { at: when, actor, action: `status.${to}`, from: request.status, to, ...(note ? { note } : {}) }],
  };
}
