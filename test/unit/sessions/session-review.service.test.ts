import { describe, expect, it } from 'vitest';
import { Conflict, NotFound } from '../../../src/errors.js';
import { rejection } from '../../support/service-world.js';
import { ACCOUNT, AUDITOR, SessionWorld } from '../../support/session-world.js';

/** A world with an active request of ACCOUNT and `count` sessions of it (one login each, ten minutes apart). */
async function withSessions(count: number) {
  const w = new SessionWorld();
  const request = await w.request();
  const ids: string[] = [];
  for (let i = 0; i < count; i++)
    ids.push((await w.send([w.ev(i * 10, { type: 'login', sourceSessionId: `s${i}`, detail: i === 0 ? undefined : 'x' })])).sessions[0]!);
  return { w, request, ids };
}

describe('session review', () => {
  it('signs a session off as ok with the reviewer, the time and the note, audited, and takes it off the unreviewed lists', async () => {
    const { w, ids } = await withSessions(1);
    w.clock.advance(60_000);
    const mark = w.mark();
    const r = await w.reviews.review(AUDITOR, ids[0]!, 'ok', 'routine patching');
    expect(r.session.review).toEqual({ verdict: 'ok', by: AUDITOR, at: w.clock.now().toISOString(), note: 'routine patching' });
    expect(r.incident).toBeUndefined();
    expect(await w.session(ids[0]!)).toEqual(r.session);
    expect(w.eventsSince(mark).map((e) => [e.action, e.subject, e.details])).toEqual([
      ['session.reviewed', `session:${ids[0]}`, expect.objectContaining({ verdict: 'ok', note: 'routine patching', account: ACCOUNT, flags: [] })],
    ]);
    expect((await w.store.listSessions({ reviewed: false }, undefined, 10)).items).toEqual([]);
    expect((await w.store.listSessions({ reviewed: true }, undefined, 10)).items.map((s) => s.id)).toEqual(ids);
  });

  it('opens an incident on escalation, with the note and the session flags, audited with the review', async () => {
    const w = new SessionWorld();
    const request = await w.request();
    const id = (await w.send([w.ev(0, { type: 'login', sourceSessionId: 'e' }), w.ev(1, { sourceSessionId: 'e', detail: 'sudo -i' })])).sessions[0]!;
    const mark = w.mark();
    const r = await w.reviews.review(AUDITOR, id, 'escalate', 'root shell without a change ticket');
    expect(r.incident).toMatchObject({
      sessionId: id,
      account: ACCOUNT,
      requestId: request.id,
      flags: ['privileged_command'],
      escalationNote: 'root shell without a change ticket',
      openedBy: AUDITOR,
      status: 'open',
      history: [{ at: w.clock.now().toISOString(), by: AUDITOR, status: 'open' }],
    });
    expect(r.session.review).toMatchObject({ verdict: 'escalate', incidentId: r.incident!.id });
    expect(await w.store.getIncident(r.incident!.id)).toEqual(r.incident);
    expect(w.eventsSince(mark).map((e) => [e.action, e.outcome])).toEqual([
      ['session.reviewed', 'success'],
      ['incident.opened', 'warning'],
    ]);
  });

  it('reviews a session once (409 the second time) and answers 404 for an unknown one, changing nothing', async () => {
    const { w, ids } = await withSessions(1);
    await w.reviews.review(AUDITOR, ids[0]!, 'ok', undefined);
    const mark = w.mark();
    expect(await rejection(w.reviews.review('aud-other', ids[0]!, 'escalate', 'late'))).toBeInstanceOf(Conflict);
    expect(await rejection(w.reviews.review(AUDITOR, 'ses_absent', 'ok', undefined))).toBeInstanceOf(NotFound);
    expect(w.eventsSince(mark)).toEqual([]);
    expect((await w.session(ids[0]!)).review?.by).toBe(AUDITOR);
    expect((await w.store.listIncidents(undefined, undefined, 10)).items).toEqual([]);
  });

  it('closes an ended request with the review of its last unreviewed session, not before', async () => {
    const { w, request, ids } = await withSessions(2);
    await w.end(request.id, 'expired');
    const first = await w.reviews.review(AUDITOR, ids[0]!, 'ok', undefined);
    expect(first.requestClosed).toBeUndefined();
    expect((await w.domain.getRequest(request.id))!.status).toBe('expired');
    const mark = w.mark();
    const last = await w.reviews.review(AUDITOR, ids[1]!, 'ok', undefined);
    expect(last.requestClosed).toBe(request.id);
    const closed = (await w.domain.getRequest(request.id))!;
    expect(closed.status).toBe('closed');
    expect(closed.history.at(-1)).toMatchObject({ actor: AUDITOR, from: 'expired', to: 'closed' });
    expect(w.eventsSince(mark).map((e) => [e.action, e.subject])).toEqual([
      ['session.reviewed', `session:${ids[1]}`],
      ['request.closed', `request:${request.id}`],
    ]);
  });

  it('leaves a request that is still active open when all its sessions are reviewed', async () => {
    const { w, request, ids } = await withSessions(1);
    expect((await w.reviews.review(AUDITOR, ids[0]!, 'ok', undefined)).requestClosed).toBeUndefined();
    expect((await w.domain.getRequest(request.id))!.status).toBe('active');
  });

  describe('sign-off', () => {
    it('closes an ended request without sessions only by an explicit sign-off, audited with the note', async () => {
      const w = new SessionWorld();
      const request = await w.request();
      expect(await rejection(w.reviews.signOff(AUDITOR, request.id, undefined))).toBeInstanceOf(Conflict); // still active
      await w.end(request.id, 'revoked');
      const mark = w.mark();
      const closed = await w.reviews.signOff(AUDITOR, request.id, 'no logs: vendor never connected');
      expect(closed.status).toBe('closed');
      expect((await w.domain.getRequest(request.id))!.status).toBe('closed');
      expect(w.eventsSince(mark).map((e) => [e.action, e.details])).toEqual([
        ['request.closed', { from: 'revoked', to: 'closed', reason: 'signed off', sessions: 0, note: 'no logs: vendor never connected' }],
      ]);
    });

    it('refuses while sessions await review, and signs off once they are reviewed', async () => {
      const { w, request, ids } = await withSessions(1);
      await w.end(request.id);
      const refused = await rejection(w.reviews.signOff(AUDITOR, request.id, undefined));
      expect(refused).toBeInstanceOf(Conflict);
      expect((refused as Conflict).details).toEqual([expect.objectContaining({ rule: 'sessions_reviewed' })]);
      // Reviewing the last one closes the request itself; a sign-off afterwards finds it closed.
      expect((await w.reviews.review(AUDITOR, ids[0]!, 'ok', undefined)).requestClosed).toBe(request.id);
      expect(await rejection(w.reviews.signOff(AUDITOR, request.id, undefined))).toBeInstanceOf(Conflict);
      expect(await rejection(w.reviews.signOff(AUDITOR, 'req_absent', undefined))).toBeInstanceOf(NotFound);
    });
  });
});
