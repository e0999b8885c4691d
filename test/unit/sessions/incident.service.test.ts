import { describe, expect, it } from 'vitest';
import { NotFound, PolicyViolation } from '../../../src/errors.js';
import { rejection } from '../../support/service-world.js';
import { AUDITOR, MIN, SessionWorld } from '../../support/session-world.js';

/** A world with one escalated session and its open incident. */
async function withIncident() {
  const w = new SessionWorld();
  await w.request();
  const id = (await w.send([w.ev(0, { type: 'login', sourceSessionId: 'e' }), w.ev(1, { sourceSessionId: 'e', detail: 'sudo -i' })])).sessions[0]!;
  const { incident } = await w.reviews.review(AUDITOR, id, 'escalate', 'root shell');
  return { w, incident: incident!, sessionId: id };
}

describe('incident handling', () => {
  it('records handling notes and status changes in the history, each audited', async () => {
    const { w, incident, sessionId } = await withIncident();
    w.clock.advance(30 * MIN);
    const mark = w.mark();
    const handling = await w.incidents.update('sec-sam', incident.id, { status: 'handling', handlingNote: 'asked the vendor' });
    w.clock.advance(30 * MIN);
    const resolved = await w.incidents.update('sec-sam', incident.id, { status: 'resolved' });
    expect(resolved).toMatchObject({ status: 'resolved', handlingNote: 'asked the vendor', updatedAt: w.clock.now().toISOString() });
    expect(resolved.history).toEqual([
      ...incident.history,
      { at: handling.updatedAt, by: 'sec-sam', status: 'handling', handlingNote: 'asked the vendor' },
      { at: resolved.updatedAt, by: 'sec-sam', status: 'resolved' },
    ]);
    expect(await w.store.getIncident(incident.id)).toEqual(resolved);
    expect(w.eventsSince(mark).map((e) => [e.action, e.subject, e.details])).toEqual([
      ['incident.updated', `incident:${incident.id}`, { from: 'open', to: 'handling', handlingNote: 'asked the vendor', sessionId }],
      ['incident.updated', `incident:${incident.id}`, { from: 'handling', to: 'resolved', sessionId }],
    ]);
  });

  it('resolves only with a handling note, changing nothing when refused', async () => {
    const { w, incident } = await withIncident();
    const mark = w.mark();
    const refused = await rejection(w.incidents.update('sec-sam', incident.id, { status: 'resolved' }));
    expect(refused).toBeInstanceOf(PolicyViolation);
    expect(await w.store.getIncident(incident.id)).toEqual(incident);
    expect(w.eventsSince(mark)).toEqual([]);
    expect((await w.incidents.update('sec-sam', incident.id, { status: 'resolved', handlingNote: 'account locked' })).status).toBe('resolved');
  });

  it('lists incidents by status, newest first, as they move', async () => {
    const { w, incident } = await withIncident();
    const second = (await w.send([w.ev(60, { type: 'login', sourceSessionId: 'f' })])).sessions[0]!;
    const other = (await w.reviews.review(AUDITOR, second, 'escalate', 'odd hour')).incident!;
    const ids = async (status?: 'open' | 'handling' | 'resolved') => (await w.store.listIncidents(status, undefined, 10)).items.map((i) => i.id);
    expect(await ids()).toEqual([other.id, incident.id]);
    await w.incidents.update('sec-sam', incident.id, { status: 'handling' });
    expect([await ids('open'), await ids('handling'), await ids('resolved')]).toEqual([[other.id], [incident.id], []]);
  });

  it('answers 404 for an unknown incident', async () => {
    const w = new SessionWorld();
    expect(await rejection(w.incidents.update('sec-sam', 'inc_absent', { handlingNote: 'x' }))).toBeInstanceOf(NotFound);
  });
});
