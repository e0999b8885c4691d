import type { AuditInput } from '../audit/audit-event.js';
import { Conflict, NotFound } from '../errors.js';
import { newId } from '../domain/ids.js';
import { moveRequest } from '../domain/request-state.js';
import type { AccessRequest } from '../domain/types.js';
import type { Stored } from '../domain/ports/domain-store.port.js';
import type { Incident, ReviewVerdict, SessionRecord } from './session-record.js';
import { sessionRef, type SessionStore } from './session-store.port.js';

/** What a review did. */
export interface ReviewOutcome {
  session: SessionRecord;
  incident?: Incident;
  /** The request closed in the same transaction (its validity had ended and this was its last unreviewed session). */
  requestClosed?: string;
}

const ENDED = ['expired', 'revoked'] as const;

/**
 * Auditors' sign-off of sessions (clause 1.6.5). A review is final: the
 * session is never changed afterwards (later events open a new session).
 * Escalation opens an incident (clause 1.1.5). A request whose validity has
 * ended closes in the same transaction as the review of its last unreviewed
 * session; one that ended with every session already reviewed — or with
 * none — is closed by an auditor's explicit sign-off, because "no sessions"
 * may as well mean "no logs arrived", which a person has to judge.
 */
export class SessionReviewService {
  constructor(private readonly deps: { store: SessionStore; now: () => Date }) {}

  review(actor: string, sessionId: string, verdict: ReviewVerdict, note: string | undefined): Promise<ReviewOutcome> {
    const { store, now } = this.deps;
    return store.run([sessionRef.session(sessionId)], async (read) => {
      const before = await read.session(sessionId);
      if (!before) throw new NotFound(`session ${sessionId} not found`);
      if (before.review) throw new Conflict(`session ${sessionId} was already reviewed (${before.review.verdict} by ${before.review.by})`);
      const at = now().toISOString();
      const incident = verdict === 'escalate' ? this.newIncident(await read.nextIncidentNumber(), before, actor, note ?? '', at) : undefined;
      const session: SessionRecord = {
        ...before,
        review: { verdict, by: actor, at, ...(note ? { note } : {}), ...(incident ? { incidentId: incident.id } : {}) },
        updatedAt: at,
      };

      let request: Stored<AccessRequest> | null = null;
      let closed: Stored<AccessRequest> | null = null;
      if (session.requestId) {
        request = await read.request(session.requestId);
        const open = await read.unreviewedOf(session.requestId, 2);
        const othersOpen = open.filter((id) => id !== session.id).length;
        if (request && (ENDED as readonly string[]).includes(request.status) && othersOpen === 0)
          closed = { ...moveRequest(request, 'closed', actor, now(), 'every session reviewed'), n: request.n };
      }

      const events: AuditInput[] = [
        {
          actor,
          action: 'session.reviewed',
          subject: `session:${session.id}`,
          outcome: 'success',
          details: {
            verdict,
            ...(note ? { note } : {}),
            account: session.account,
            ...(session.requestId ? { requestId: session.requestId } : {}),
            flags: [...new Set(session.flags.map((f) => f.code))],
            ...(incident ? { incidentId: incident.id } : {}),
          },
        },
      ];
      if (incident)
        events.push({
          actor,
          action: 'incident.opened',
          subject: `incident:${incident.id}`,
          outcome: 'warning',
          details: {
            sessionId: session.id,
            account: session.account,
            flags: incident.flags,
            note: incident.escalationNote,
            ...(incident.requestId ? { requestId: incident.requestId } : {}),
          },
        });
      if (closed) events.push(this.closedEvent(actor, closed, 'last session reviewed'));

      return {
        writes: (w) => {
          w.putReviewed(session);
          if (incident) w.putIncident(incident, null);
          if (closed && request) w.putRequest(closed, request);
        },
        events,
        result: { session, ...(incident ? { incident } : {}), ...(closed ? { requestClosed: closed.id } : {}) },
      };
    });
  }

  /**
   * Closes an ended request none of whose sessions awaits review (including
   * one that had no sessions at all): 409 while any does, or if the request
   * has not ended.
   */
  signOff(actor: string, requestId: string, note: string | undefined): Promise<Stored<AccessRequest>> {
    const { store, now } = this.deps;
    return store.run([sessionRef.request(requestId), sessionRef.unreviewedOf(requestId)], async (read) => {
      const request = await read.request(requestId);
      if (!request) throw new NotFound(`request ${requestId} not found`);
      if (!(ENDED as readonly string[]).includes(request.status))
        throw new Conflict(`request is ${request.status}; only an expired or revoked request can be signed off`, [
          { rule: 'state', message: 'its validity must have ended' },
        ]);
      const open = await read.unreviewedCount(requestId);
      if (open > 0)
        throw new Conflict(`${open} session(s) of request ${requestId} still await review`, [
          { rule: 'sessions_reviewed', message: `${open} unreviewed; GET /v1/sessions?requestId=${requestId}&reviewed=false` },
        ]);
      const closed = { ...moveRequest(request, 'closed', actor, now(), note ?? 'signed off'), n: request.n };
      const sessions = await read.sessionCount(requestId);
      return {
        writes: (w) => w.putRequest(closed, request),
        events: [this.closedEvent(actor, closed, 'signed off', { sessions, ...(note ? { note } : {}) })],
        result: closed,
      };
    });
  }

  private closedEvent(actor: string, r: AccessRequest, reason: string, extra: Record<string, unknown> = {}): AuditInput {
    return {
      actor,
      action: 'request.closed',
      subject: `request:${r.id}`,
      outcome: 'success',
      details: { from: r.history.at(-1)?.from, to: 'closed', reason, ...extra },
    };
  }

  private newIncident(n: number, s: SessionRecord, actor: string, note: string, at: string): Incident {
    return {
      id: newId('inc', Date.parse(at)),
      n,
      sessionId: s.id,
      account: s.account,
      ...(s.requestId ? { requestId: s.requestId } : {}),
      ...(s.personId ? { personId: s.personId } : {}),
      ...(s.vendorId ? { vendorId: s.vendorId } : {}),
      flags: [...new Set(s.flags.map((f) => f.code))],
      escalationNote: note,
      openedBy: actor,
      openedAt: at,
      status: 'open',
      updatedAt: at,
      history: [{ at, by: actor, status: 'open' }],
    };
  }
}
