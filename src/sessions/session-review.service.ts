import type { ChainableCommander } from 'ioredis';
import type { AuditInput } from '../audit/audit-event.js';
import { Conflict, NotFound } from '../errors.js';
import { newId } from '../domain/ids.js';
import { moveRequest } from '../domain/request-state.js';
import type { AccessRequest } from '../domain/types.js';
import type { Stored } from '../domain/ports/domain-store.port.js';
import type { RedisRecordStore } from '../store/redis-record.store.js';
import type { Transactor } from '../store/transactor.js';
import { liveField, type LiveEntry } from './session-grouper.js';
import { SessionKeys, sessionScore } from './session-keys.js';
import { isFlagged, type Incident, type ReviewVerdict, type SessionRecord } from './session-record.js';

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
  private readonly skeys: SessionKeys;

  constructor(private readonly deps: { store: RedisRecordStore; tx: Transactor; now: () => Date }) {
    this.skeys = new SessionKeys(deps.store.keys);
  }

  review(actor: string, sessionId: string, verdict: ReviewVerdict, note: string | undefined): Promise<ReviewOutcome> {
    const { store, tx, now } = this.deps;
    const { skeys } = this;
    return tx.run([skeys.record(sessionId)], async (redis) => {
      const raw = await redis.get(skeys.record(sessionId));
      if (raw === null) throw new NotFound(`session ${sessionId} not found`);
      const before = JSON.parse(raw) as SessionRecord;
      if (before.review) throw new Conflict(`session ${sessionId} was already reviewed (${before.review.verdict} by ${before.review.by})`);
      const at = now().toISOString();
      const incident = verdict === 'escalate' ? this.newIncident(await redis.incr(skeys.incidentSequence()), before, actor, note ?? '', at) : undefined;
      const session: SessionRecord = {
        ...before,
        review: { verdict, by: actor, at, ...(note ? { note } : {}), ...(incident ? { incidentId: incident.id } : {}) },
        updatedAt: at,
      };
      const accountKey = session.account.toLowerCase();
      const field = liveField({ source: session.source.toLowerCase(), sid: session.sourceSessionId ?? '', id: session.id });
      const liveRaw = await redis.hget(skeys.live(accountKey), field);
      const live = liveRaw ? (JSON.parse(liveRaw) as LiveEntry) : undefined;

      let request: Stored<AccessRequest> | null = null;
      let closed: Stored<AccessRequest> | null = null;
      if (session.requestId) {
        request = await store.getRequest(session.requestId);
        const open = await redis.zrange(skeys.openOfRequest(session.requestId), 0, 1);
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
        writes: (m: ChainableCommander) => {
          m.set(skeys.record(session.id), JSON.stringify(session));
          m.zrem(skeys.unreviewed(), session.id)
            .zadd(skeys.reviewed(), sessionScore(session.n, isFlagged(session)), session.id)
            .zrem(skeys.due(), session.id);
          if (session.requestId) m.zrem(skeys.openOfRequest(session.requestId), session.id);
          if (live?.id === session.id) m.hset(skeys.live(accountKey), field, JSON.stringify({ ...live, reviewed: true }));
          if (incident) this.putIncident(m, incident, true);
          if (closed && request) store.putRequest(m, closed, request);
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
    const { store, tx, now } = this.deps;
    return tx.run([store.keys.request(requestId), this.skeys.openOfRequest(requestId)], async (redis) => {
      const request = await store.getRequest(requestId);
      if (!request) throw new NotFound(`request ${requestId} not found`);
      if (!(ENDED as readonly string[]).includes(request.status))
        throw new Conflict(`request is ${request.status}; only an expired or revoked request can be signed off`, [
          { rule: 'state', message: 'its validity must have ended' },
        ]);
      const open = await redis.zcard(this.skeys.openOfRequest(requestId));
      if (open > 0)
        throw new Conflict(`${open} session(s) of request ${requestId} still await review`, [
          { rule: 'sessions_reviewed', message: `${open} unreviewed; GET /v1/sessions?requestId=${requestId}&reviewed=false` },
        ]);
      const closed = { ...moveRequest(request, 'closed', actor, now(), note ?? 'signed off'), n: request.n };
      const sessions = await redis.zcard(this.skeys.byRequest(requestId));
      return {
        writes: (m: ChainableCommander) => store.putRequest(m, closed, request),
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

  /** Writes an incident and its indexes (also used by incident updates). */
  putIncident(m: ChainableCommander, incident: Incident, isNew: boolean, previousStatus?: string): void {
    m.set(this.skeys.incident(incident.id), JSON.stringify(incident));
    if (isNew) m.zadd(this.skeys.incidentsAll(), incident.n, incident.id);
    if (previousStatus && previousStatus !== incident.status) m.zrem(this.skeys.incidentsByStatus(previousStatus), incident.id);
    m.zadd(this.skeys.incidentsByStatus(incident.status), incident.n, incident.id);
  }
}
