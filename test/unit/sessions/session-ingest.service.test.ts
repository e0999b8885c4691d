import { describe, expect, it } from 'vitest';
import { ACCOUNT, DAY, MIN, SessionWorld } from '../../support/session-world.js';

const codes = (s: { flags: { code: string }[] }) => s.flags.map((f) => f.code);

describe('session ingest', () => {
  describe('grouping and dedupe', () => {
    it('groups the events of one source session into one session, events in time order', async () => {
      const w = new SessionWorld();
      const r = await w.send([
        w.ev(2, { type: 'logout', sourceSessionId: 'a81f' }),
        w.ev(0, { type: 'login', sourceSessionId: 'a81f', target: 'erp-db01' }),
        w.ev(1, { sourceSessionId: 'a81f', detail: 'tail -f /var/log/erp.log' }),
      ]);
      expect(r).toMatchObject({ accepted: 3, duplicates: 0 });
      expect(r.sessions).toHaveLength(1);
      const s = await w.session(r.sessions[0]!);
      expect(s).toMatchObject({ account: ACCOUNT, source: 'bastion-1', sourceSessionId: 'a81f', eventCount: 3, firstAt: w.at(0), endedAt: w.at(2) });
      expect(s.targets).toEqual(['erp-db01']);
      expect((await w.store.getEvents(s, 0, 10)).map((e) => e.type)).toEqual(['login', 'command', 'logout']);
    });

    it('stores a retried batch once: its events count as duplicates, the session is unchanged, and the retry is still audited', async () => {
      const w = new SessionWorld();
      const batch = [w.ev(0, { type: 'login', sourceSessionId: 's1' }), w.ev(1, { sourceSessionId: 's1', detail: 'ls' })];
      const first = await w.send(batch);
      const mark = w.mark();
      const retry = await w.send([...batch, batch[0]!]);
      expect(retry).toMatchObject({ accepted: 3, duplicates: 3, sessions: [] });
      expect(retry.stored.size).toBe(0);
      expect((await w.session(first.sessions[0]!)).eventCount).toBe(2);
      expect(w.eventsSince(mark).map((e) => [e.action, e.details])).toEqual([
        ['sessions.ingested', expect.objectContaining({ received: 3, stored: 0, duplicates: 3, sessionsOpened: 0 })],
      ]);
    });

    it('opens a session per login when the source names none, and joins later events to the latest session begun before them', async () => {
      const w = new SessionWorld();
      await w.request();
      await w.send([w.ev(0, { type: 'login' }), w.ev(1, { detail: 'ls' }), w.ev(10, { type: 'login' }), w.ev(11, { detail: 'pwd' })]);
      const [later, earlier] = await w.sessionsOf();
      expect([earlier!.firstAt, earlier!.eventCount, later!.firstAt, later!.eventCount]).toEqual([w.at(0), 2, w.at(10), 2]);
      await w.send([w.ev(12, { detail: 'id' })]);
      expect((await w.session(later!.id)).eventCount).toBe(3);
    });

    it('starts a new session after the idle timeout, and one that continues a reviewed session', async () => {
      const w = new SessionWorld({ idleTimeoutMinutes: 30 });
      const first = (await w.send([w.ev(0, { sourceSessionId: 'p1' })])).sessions[0]!;
      const idle = (await w.send([w.ev(45, { sourceSessionId: 'p1' })])).sessions[0]!;
      expect(idle).not.toBe(first);
      await w.reviews.review('aud-eve', idle, 'ok', undefined);
      const next = (await w.send([w.ev(46, { sourceSessionId: 'p1' })])).sessions[0]!;
      expect(next).not.toBe(idle);
      expect(await w.session(next)).toMatchObject({ continues: idle, eventCount: 1 });
      expect((await w.session(idle)).eventCount).toBe(1);
    });

    it('ties a session to the request owning the account, and keeps and flags events of accounts no request owns', async () => {
      const w = new SessionWorld();
      const request = await w.request();
      const r = await w.send([w.ev(0, { type: 'login', sourceSessionId: 'k' }), w.ev(0, { type: 'login', account: 'mallory', sourceSessionId: 'm' })]);
      const [known] = await w.sessionsOf();
      const [unknown] = await w.sessionsOf('mallory');
      expect(known).toMatchObject({ accountKnown: true, requestId: request.id, personId: request.personId, vendorId: request.vendorId, flags: [] });
      expect(unknown).toMatchObject({ accountKnown: false, flags: [expect.objectContaining({ code: 'unknown_account' })] });
      expect(r.sessions).toHaveLength(2);
      expect((await w.store.listSessions({ flagged: true }, undefined, 10)).items.map((s) => s.id)).toEqual([unknown!.id]);
    });
  });

  describe('flags', () => {
    it('flags privileged commands, once per distinct command, and audits the newly flagged sessions with the batch', async () => {
      const w = new SessionWorld();
      const request = await w.request();
      const mark = w.mark();
      const r = await w.send([
        w.ev(0, { type: 'login', sourceSessionId: 's' }),
        w.ev(1, { sourceSessionId: 's', detail: 'sudo -i' }),
        w.ev(2, { sourceSessionId: 's', detail: 'sudo -i' }),
        w.ev(3, { sourceSessionId: 's', detail: 'ls -l' }),
      ]);
      const s = await w.session(r.sessions[0]!);
      expect(s.flags).toEqual([expect.objectContaining({ code: 'privileged_command', at: w.at(1), detail: 'privileged command: sudo -i' })]);
      expect((await w.store.getEvents(s, 0, 10)).map((e) => e.flags ?? [])).toEqual([[], ['privileged_command'], ['privileged_command'], []]);
      expect(w.eventsSince(mark).map((e) => [e.action, e.outcome, e.details])).toEqual([
        ['sessions.ingested', 'success', expect.objectContaining({ received: 4, stored: 4, sessionsOpened: 1 })],
        ['sessions.flagged', 'warning', { sessions: [{ session: s.id, account: ACCOUNT, requestId: request.id, flags: ['privileged_command'] }] }],
      ]);
      // Flagged once: a later batch with the same command raises nothing new.
      const again = w.mark();
      await w.send([w.ev(4, { sourceSessionId: 's', detail: 'sudo -i' })]);
      expect(w.eventsSince(again).map((e) => e.action)).toEqual(['sessions.ingested']);
    });

    it('flags a failed-login burst when failures reach failedLoginBurst within five minutes, counting failures of earlier batches', async () => {
      const w = new SessionWorld({ failedLoginBurst: 3 });
      await w.request();
      const fail = (m: number) => w.ev(m, { type: 'failed_login' });
      await w.send([fail(0), fail(1)]);
      expect((await w.sessionsOf()).flatMap(codes)).toEqual([]);
      await w.send([fail(4)]);
      const flagged = (await w.sessionsOf()).filter((s) => codes(s).includes('failed_login_burst'));
      expect(flagged).toHaveLength(1);
      expect(flagged[0]!.flags.find((f) => f.code === 'failed_login_burst')).toMatchObject({
        at: w.at(4),
        detail: `3 failed logins of ${ACCOUNT} within 5 minutes`,
      });
    });

    it('does not flag failures spread wider than the window', async () => {
      const w = new SessionWorld({ failedLoginBurst: 3 });
      await w.request();
      await w.send([w.ev(0, { type: 'failed_login' }), w.ev(3, { type: 'failed_login' })]);
      await w.send([w.ev(9, { type: 'failed_login' })]);
      expect((await w.sessionsOf()).flatMap(codes)).toEqual([]);
    });

    it('flags events outside the approved window and targets not approved', async () => {
      const w = new SessionWorld();
      await w.request(ACCOUNT, { validTo: new Date(w.t0 + 10 * MIN).toISOString() });
      const r = await w.send([w.ev(0, { type: 'login', sourceSessionId: 'x', target: 'hr-db02' }), w.ev(20, { sourceSessionId: 'x', detail: 'ls' })]);
      expect(codes(await w.session(r.sessions[0]!)).sort()).toEqual(['outside_window', 'target_not_approved']);
    });
  });

  describe('audit and review due', () => {
    it('audits a machine import only when it stored something, and the syslog listener never per batch (flags still)', async () => {
      const w = new SessionWorld();
      await w.request();
      const batch = [w.ev(0, { type: 'login' }, 'accesslog')];
      const mark = w.mark();
      await w.send(batch, { origin: 'accesslog', actor: 'accesslog-import', audit: 'when-stored' });
      await w.send(batch, { origin: 'accesslog', actor: 'accesslog-import', audit: 'when-stored' });
      expect(w.eventsSince(mark).map((e) => [e.action, e.details.stored])).toEqual([['sessions.ingested', 1]]);
      const quiet = w.mark();
      await w.send([w.ev(1, { type: 'login' }, 'syslog')], { origin: 'syslog', actor: 'syslog', audit: 'never' });
      await w.send([w.ev(2, { type: 'login', account: 'mallory' }, 'syslog')], { origin: 'syslog', actor: 'syslog', audit: 'never' });
      expect(w.eventsSince(quiet).map((e) => e.action)).toEqual(['sessions.flagged']);
    });

    it('makes an unreviewed session overdue reviewDueDays after its logout, and not before', async () => {
      const w = new SessionWorld({ reviewDueDays: 2 });
      const id = (await w.send([w.ev(0, { type: 'login', sourceSessionId: 'a' }), w.ev(5, { type: 'logout', sourceSessionId: 'a' })])).sessions[0]!;
      const overdue = async () => (await w.store.overdue(w.clock.now().getTime(), 0, 10)).items.map((s) => [s.id, s.reviewDueAt]);
      w.clock.advance(2 * DAY);
      expect(await overdue()).toEqual([]);
      w.clock.advance(5 * MIN);
      expect(await overdue()).toEqual([[id, w.at(2 * 24 * 60 + 5)]]);
    });
  });
});
