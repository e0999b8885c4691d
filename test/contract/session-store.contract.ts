import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AuditEvent } from '../../src/audit/audit-event.js';
import { DEFAULT_PRIVILEGED_COMMANDS } from '../../src/config/policy.schema.js';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { SessionArchive } from '../../src/sessions/session-archive.js';
import { SessionArchiverService } from '../../src/sessions/session-archiver.service.js';
import type { DomainStore, Page } from '../../src/domain/ports/domain-store.port.js';
import { newId } from '../../src/domain/ids.js';
import { normalizeEvent, type NormalizedEvent } from '../../src/sessions/session-event.schema.js';
import { SessionIngestService } from '../../src/sessions/session-ingest.service.js';
import type { Incident, SessionEventInput, SessionRecord } from '../../src/sessions/session-record.js';
import { decodeCursor, sessionRef, type RoutingState, type SessionStore } from '../../src/sessions/session-store.port.js';
import type { FakeClock } from '../support/fake-clock.js';
import { followPages } from '../support/follow-pages.js';
import { silentLogger } from '../support/log-capture.js';
import { event, seedRequest } from '../support/store-records.js';

/** Everything the suite needs from one session store implementation, fresh and empty for each test. */
export interface SessionStoreContractContext {
  sessions: SessionStore;
  /** The domain store on the same records and audit chain (requests, usernames). */
  domain: DomainStore;
  /** Another process on the same records (its own connection and queue): its commits interleave with `sessions`'. */
  otherProcess(): SessionStore;
  /** The audit trail as stored, oldest first. */
  auditTrail(): Promise<AuditEvent[]>;
  /** The archive (in a directory of the test's own) the store reads archived sessions from. */
  archive: SessionArchive;
  archiveDir: string;
  clock: FakeClock;
  cleanup(): Promise<void>;
}

const MIN = 60_000;
const DAY = 24 * 60 * MIN;
const POLICY = { privilegedCommands: DEFAULT_PRIVILEGED_COMMANDS, idleTimeoutMinutes: 30, failedLoginBurst: 5, reviewDueDays: 7 };

/** Every page of a list, following this store's cursors. */
const allPages = <T>(read: (cursor: number | undefined) => Promise<Page<T>>): Promise<T[][]> => followPages(read, decodeCursor);

/**
 * The one session store contract (STYLE.md §3): proves a SessionStore keeps
 * batches, sessions, their indexes, reviews, incidents and the audit chain as
 * the port promises. Batches are made by the real ingest service (the one
 * author of batch decisions); everything else is asked of the port directly.
 */
export function sessionStoreContract(name: string, makeContext: () => Promise<SessionStoreContractContext>): void {
  describe(`session store contract: ${name}`, () => {
    let ctx: SessionStoreContractContext;
    let sessions: SessionStore;
    let ingest: SessionIngestService;
    let t0: number;
    const at = (minutes: number) => new Date(t0 + minutes * MIN).toISOString();
    const ev = (minutes: number, e: Partial<SessionEventInput> = {}): NormalizedEvent =>
      normalizeEvent({ source: 'bastion-1', account: 'v-acme-chen-1', type: 'command', at: at(minutes), sourceIp: '10.0.0.7', ...e }, 'http');
    const store = (...events: NormalizedEvent[]) => ingest.ingest(events, { origin: 'http', actor: 'log-source' });
    /** What a batch of `events` would read first; commits nothing. */
    const routing = (events: NormalizedEvent[]): Promise<RoutingState> =>
      sessions.appendEvents(async (read) => ({ events: [], result: await read.routingState(events) }));
    const session = async (id: string) => (await sessions.getSession(id))!;
    const ids = (list: { id: string }[]) => list.map((s) => s.id);
    const archiver = (store: SessionStore, nowMs: number) =>
      new SessionArchiverService({ store, archive: ctx.archive, retentionDays: 0, logger: silentLogger(), now: () => new Date(nowMs) });
    const review = (s: SessionRecord) =>
      sessions.run([sessionRef.session(s.id)], () => {
        const reviewed: SessionRecord = { ...s, review: { verdict: 'ok', by: 'aud-eve', at: at(100) } };
        return Promise.resolve({ writes: (w) => w.putReviewed(reviewed), events: [event('session.reviewed', `session:${s.id}`)], result: reviewed });
      });

    beforeEach(async () => {
      ctx = await makeContext();
      sessions = ctx.sessions;
      t0 = ctx.clock.now().getTime() - DAY;
      ingest = new SessionIngestService({ store: sessions, policy: POLICY, now: ctx.clock.now });
    });
    afterEach(() => ctx.cleanup());

    describe('batches', () => {
      it('commits sessions, their events and the audit event together; a stored event is no longer fresh', async () => {
        const batch = [
          ev(0, { type: 'login', sourceSessionId: 's1' }),
          ev(2, { sourceSessionId: 's1', detail: 'ls' }),
          ev(1, { sourceSessionId: 's1', detail: 'pwd' }),
        ];
        const r = await store(...batch);
        expect(r).toMatchObject({ accepted: 3, duplicates: 0 });
        expect(r.sessions).toHaveLength(1);
        const s = await session(r.sessions[0]!);
        expect(s).toMatchObject({ account: 'v-acme-chen-1', eventCount: 3, firstAt: at(0), lastAt: at(2), accountKnown: false });
        expect(s.n).toBeGreaterThan(0);
        expect((await sessions.getEvents(s, 0, 10)).map((e) => e.detail ?? e.type)).toEqual(['login', 'pwd', 'ls']);
        expect((await sessions.getEvents(s, 1, 1)).map((e) => e.detail)).toEqual(['pwd']);
        expect((await ctx.auditTrail()).map((e) => [e.action, e.details.stored])).toEqual([
          ['sessions.ingested', 3],
          ['sessions.flagged', undefined], // an account no request owns
        ]);

        const state = await routing([...batch, ev(3, { sourceSessionId: 's1', detail: 'id' })]);
        expect(state.fresh.map((e) => e.detail)).toEqual(['id']);
        expect(state.owners).toEqual(new Map([['v-acme-chen-1', null]]));
        expect([...state.live.get('v-acme-chen-1')!.values()]).toEqual([expect.objectContaining({ id: s.id, sid: 's1', ip: '10.0.0.7' })]);
        expect(await store(...batch)).toMatchObject({ accepted: 3, duplicates: 3 });
        expect((await session(s.id)).eventCount).toBe(3);
      });

      it('commits nothing when the decision throws, and keeps later batches working', async () => {
        const refused = sessions.appendEvents(async (read) => {
          await read.routingState([ev(0)]);
          throw new Error('refused');
        });
        await expect(refused).rejects.toThrow('refused');
        expect(await ctx.auditTrail()).toEqual([]);
        expect((await routing([ev(0)])).fresh).toHaveLength(1);
        expect((await store(ev(0))).accepted).toBe(1);
      });

      it('names the request owning an account, reads it with the records asked for, and reserves ascending positions', async () => {
        const request = await seedRequest(ctx.domain, new Date(t0), { status: 'active' });
        expect(await ctx.domain.reserveUsername('V-Acme-Chen-1', request.id)).toBe(request.id);
        const first = await store(ev(0, { type: 'login', sourceSessionId: 's1' }));
        const state = await routing([ev(1), ev(1, { account: 'mallory' })]);
        expect(state.owners).toEqual(
          new Map([
            ['v-acme-chen-1', request.id],
            ['mallory', null],
          ]),
        );
        const second = await sessions.appendEvents(async (read) => {
          const grouping = await read.groupingState(state.owners, [first.sessions[0]!, 'ses_absent'], 2);
          return { events: [], result: { ...grouping, more: await read.reservePositions(1) } };
        });
        expect(second.requests).toEqual(
          new Map([
            ['v-acme-chen-1', await ctx.domain.getRequest(request.id)],
            ['mallory', null],
          ]),
        );
        expect([...second.records.keys()]).toEqual([first.sessions[0]]);
        expect(second.records.get(first.sessions[0]!)).toMatchObject({ requestId: request.id, accountKnown: true });
        const [a, b] = second.positions;
        expect(b).toBe(a! + 1);
        expect(a).toBeGreaterThan((await session(first.sessions[0]!)).n);
        expect(second.more[0]).toBeGreaterThan(b!);
      });

      it('remembers failed logins for bursts: those in the window before the batch, oldest first, and trims old ones', async () => {
        const fail = (m: number) => ev(m, { type: 'failed_login' });
        await store(fail(1), fail(0));
        expect((await routing([fail(2)])).priorFailures.get('v-acme-chen-1')).toEqual([t0, t0 + MIN]);
        expect((await routing([ev(2)])).priorFailures.size).toBe(0);
        await store(fail(20)); // trims failures ten minutes (two windows) older than the newest
        expect((await routing([fail(0), fail(21)])).priorFailures.get('v-acme-chen-1')).toEqual([t0 + 20 * MIN]);
      });
    });

    describe('queries', () => {
      it('lists flagged sessions first, newest first, filtered, page by page', async () => {
        const request = await seedRequest(ctx.domain, new Date(t0), { status: 'active' });
        await ctx.domain.reserveUsername('v-acme-chen-1', request.id);
        const a = (await store(ev(0, { type: 'login', sourceSessionId: 'a' }))).sessions[0]!;
        const b = (await store(ev(10, { type: 'login', sourceSessionId: 'b', sourceIp: '10.0.0.7' }), ev(11, { sourceSessionId: 'b', detail: 'sudo -i' })))
          .sessions[0]!;
        const c = (await store(ev(60, { type: 'login', sourceSessionId: 'c' }))).sessions[0]!;
        const m = (await store(ev(61, { type: 'login', account: 'mallory', sourceSessionId: 'm' }))).sessions[0]!; // unknown: flagged
        const list = (filter: Parameters<SessionStore['listSessions']>[0], limit = 2) =>
          allPages((cursor) => sessions.listSessions(filter, cursor, limit)).then((pages) => pages.map(ids));
        expect(await list({})).toEqual([
          [m, b],
          [c, a],
        ]);
        expect(await list({ flagged: false }, 1)).toEqual([[c], [a]]);
        expect(await list({ flagged: true }, 5)).toEqual([[m, b]]);
        expect(await list({ requestId: request.id }, 5)).toEqual([[b, c, a]]);
        expect(await list({ account: 'MALLORY' }, 5)).toEqual([[m]]);
        expect(await list({ account: 'nobody' })).toEqual([[]]);
        expect(await list({ reviewed: true })).toEqual([[]]);
        expect(await list({ reviewed: false, flagged: true }, 1)).toEqual([[m], [b]]);
      });

      it('lists unreviewed sessions whose review fell due, earliest first, by offset', async () => {
        const s1 = (await store(ev(0, { type: 'login', sourceSessionId: 'a' }), ev(5, { type: 'logout', sourceSessionId: 'a' }))).sessions[0]!;
        const s2 = (await store(ev(30, { type: 'login', sourceSessionId: 'b' }))).sessions[0]!;
        const s3 = (await store(ev(60, { type: 'login', sourceSessionId: 'c' }))).sessions[0]!;
        const due = (m: number) => t0 + m * MIN + 7 * DAY;
        expect((await sessions.overdue(due(30), 0, 10)).items.map((s) => [s.id, s.reviewDueAt])).toEqual([
          [s1, new Date(due(5)).toISOString()],
          [s2, new Date(due(30)).toISOString()],
        ]);
        const first = await sessions.overdue(due(60), 0, 2);
        expect(ids(first.items)).toEqual([s1, s2]);
        const next = await sessions.overdue(due(60), decodeCursor(first.nextCursor!)!, 2);
        expect(next).toEqual({ items: [expect.objectContaining({ id: s3 })], nextCursor: null });
        await review(await session(s1));
        expect(ids((await sessions.overdue(due(60), 0, 10)).items)).toEqual([s2, s3]);
      });

      it('keeps the accesslog cursor', async () => {
        expect(await sessions.accesslogCursor()).toBeUndefined();
        await sessions.saveAccesslogCursor('20300101000000.000001Z#000000#000#000000');
        expect(await ctx.otherProcess().accesslogCursor()).toBe('20300101000000.000001Z#000000#000#000000');
      });
    });

    describe('reviews and incidents', () => {
      it('moves a reviewed session out of the unreviewed lists and marks its live entry, with its audit event', async () => {
        const request = await seedRequest(ctx.domain, new Date(t0), { status: 'active' });
        await ctx.domain.reserveUsername('v-acme-chen-1', request.id);
        const [a, b] = (await store(ev(0, { type: 'login', sourceSessionId: 'a' }), ev(1, { type: 'login', sourceSessionId: 'b', sourceIp: '10.0.0.8' })))
          .sessions;
        const counts = () =>
          sessions.run([sessionRef.unreviewedOf(request.id)], async (read) => ({
            events: [],
            result: [await read.unreviewedOf(request.id, 5), await read.unreviewedCount(request.id), await read.sessionCount(request.id)],
          }));
        expect(await counts()).toEqual([expect.arrayContaining([a, b]), 2, 2]);
        const reviewed = await review(await session(a!));
        expect(await session(a!)).toEqual(reviewed);
        expect(await counts()).toEqual([[b], 1, 2]);
        expect(ids((await sessions.listSessions({ reviewed: true }, undefined, 10)).items)).toEqual([a]);
        expect(ids((await sessions.listSessions({ reviewed: false }, undefined, 10)).items)).toEqual([b]);
        expect(ids((await sessions.listSessions({ requestId: request.id }, undefined, 10)).items)).toEqual([b, a]);
        const live = [...(await routing([ev(2)])).live.get('v-acme-chen-1')!.values()];
        expect(live.find((x) => x.id === a)).toMatchObject({ reviewed: true });
        // b must be among the live sessions for its missing review mark to mean anything.
        const liveB = live.find((x) => x.id === b);
        expect(liveB).toBeDefined();
        expect(liveB!.reviewed).toBeUndefined();
        expect((await ctx.auditTrail()).map((e) => e.action).slice(-1)).toEqual(['session.reviewed']);
      });

      it('lists reviewed sessions for archival by last event; an archived session leaves the store and is read from the archive by id, request and account', async () => {
        const request = await seedRequest(ctx.domain, new Date(t0), { status: 'active' });
        await ctx.domain.reserveUsername('v-acme-chen-1', request.id);
        const [a, b] = (await store(ev(0, { type: 'login', sourceSessionId: 'a' }), ev(30, { type: 'login', sourceSessionId: 'b' }))).sessions;
        expect(await sessions.archiveDue(t0 + DAY, 10)).toEqual([]); // unreviewed sessions are never archived
        await review(await session(b!));
        const reviewed = await review(await session(a!));
        expect(await sessions.archiveDue(t0 + DAY, 10)).toEqual([a, b]);
        expect(await sessions.archiveDue(t0 + 30 * MIN, 10)).toEqual([a]);
        const events = await sessions.getEvents(reviewed, 0, 10);

        expect(await archiver(sessions, t0 + 10 * MIN).run()).toEqual({ archived: 1 });
        // Read back whole from the archive, whose path follows from the id.
        const archived = await session(a!);
        expect(archived).toEqual({ ...reviewed, archive: expect.objectContaining({ file: SessionArchive.fileOf(a!), events: 1 }) });
        expect(await sessions.getEvents(archived, 0, 10)).toEqual(events);
        expect(await sessions.archiveDue(t0 + DAY, 10)).toEqual([b]);
        expect((await ctx.auditTrail()).at(-1)).toMatchObject({
          action: 'session.archived',
          subject: `session:${a}`,
          details: { file: archived.archive!.file, sha256: archived.archive!.sha256 },
        });
        // Lists by request or account: what the store holds, then the archived sessions; other lists only the store's.
        expect((await sessions.listSessions({ requestId: request.id }, undefined, 10)).items).toEqual([await session(b!), archived]);
        expect(ids((await sessions.listSessions({ account: 'V-Acme-Chen-1' }, undefined, 10)).items)).toEqual([b, a]);
        expect(ids((await sessions.listSessions({ account: 'v-acme-chen-1', requestId: request.id, reviewed: true }, undefined, 10)).items)).toEqual([b, a]);
        expect(await allPages((c) => sessions.listSessions({ requestId: request.id }, c, 1))).toEqual([[await session(b!)], [archived]]);
        expect(ids((await sessions.listSessions({ requestId: request.id, reviewed: false }, undefined, 10)).items)).toEqual([]);
        expect(ids((await sessions.listSessions({ reviewed: true }, undefined, 10)).items)).toEqual([b]);
        expect(ids((await sessions.listSessions({}, undefined, 10)).items)).toEqual([b]);
        const counted = await sessions.run([sessionRef.unreviewedOf(request.id)], async (read) => ({
          events: [],
          result: [await read.unreviewedCount(request.id), await read.sessionCount(request.id), (await read.session(a!))?.review],
        }));
        expect(counted).toEqual([0, 2, reviewed.review]);

        // An event with the archived session's source session id opens a new session; the archived one stays as it was.
        const next = await store(ev(1, { sourceSessionId: 'a', detail: 'late' }));
        expect(next.sessions).toHaveLength(1);
        expect(next.sessions).not.toContain(a);
        expect(await session(next.sessions[0]!)).toMatchObject({ eventCount: 1, requestId: request.id });
        expect(await sessions.getSession(a!)).toEqual(archived);
        expect(ids((await sessions.listSessions({ requestId: request.id }, undefined, 10)).items)).toEqual([next.sessions[0], b, a]);
      });

      it('lists a session once when its archival ran twice (the first commit failed after the manifests were written)', async () => {
        const request = await seedRequest(ctx.domain, new Date(t0), { status: 'active' });
        await ctx.domain.reserveUsername('v-acme-chen-1', request.id);
        const [a] = (await store(ev(0, { type: 'login', sourceSessionId: 'a' }))).sessions;
        await review(await session(a!));
        let failing = true;
        const flaky = Object.assign(Object.create(sessions) as SessionStore, {
          run: <T>(...args: Parameters<SessionStore['run']>) => {
            if (!failing) return sessions.run(...args) as Promise<T>;
            failing = false;
            return Promise.reject(new Error('connection lost'));
          },
        });
        await expect(archiver(flaky, t0 + 10 * MIN).run()).rejects.toThrow('connection lost');
        // Not archived: still in the store, and listed once although the manifests name it.
        expect((await session(a!)).archive).toBeUndefined();
        expect(ids((await sessions.listSessions({ requestId: request.id }, undefined, 10)).items)).toEqual([a]);
        expect(await archiver(flaky, t0 + 10 * MIN).run()).toEqual({ archived: 1 });
        const manifest = await readFile(join(ctx.archiveDir, SessionArchive.manifestOfRequest(request.id)), 'utf8');
        expect(manifest.trim().split('\n')).toHaveLength(2);
        expect(ids(await ctx.archive.manifest({ requestId: request.id }))).toEqual([a]);
        expect(ids((await sessions.listSessions({ requestId: request.id }, undefined, 10)).items)).toEqual([a]);
        expect(ids((await sessions.listSessions({ account: 'v-acme-chen-1' }, undefined, 10)).items)).toEqual([a]);
        expect((await session(a!)).archive).toBeDefined();
        expect((await ctx.auditTrail()).filter((e) => e.action === 'session.archived')).toHaveLength(1);
      });

      it('refuses an archived session whose file was altered (archive_altered) or is missing (archive_unavailable), by id and in lists', async () => {
        const request = await seedRequest(ctx.domain, new Date(t0), { status: 'active' });
        await ctx.domain.reserveUsername('v-acme-chen-1', request.id);
        const [a] = (await store(ev(0, { type: 'login', sourceSessionId: 'a' }), ev(1, { sourceSessionId: 'a', detail: 'ls /srv' }))).sessions;
        await review(await session(a!));
        expect(await archiver(sessions, t0 + 10 * MIN).run()).toEqual({ archived: 1 });
        const path = join(ctx.archiveDir, SessionArchive.fileOf(a!)!);
        const text = await readFile(path, 'utf8');
        const byRequest = () => sessions.listSessions({ requestId: request.id }, undefined, 10);
        await writeFile(path, text.replace('ls /srv', 'ls /tmp'));
        await expect(sessions.getSession(a!)).rejects.toMatchObject({ code: 'archive_altered', status: 500 });
        await expect(byRequest()).rejects.toMatchObject({ code: 'archive_altered' });
        await rm(path);
        await expect(sessions.getSession(a!)).rejects.toMatchObject({ code: 'archive_unavailable', status: 503 });
        await expect(byRequest()).rejects.toMatchObject({ code: 'archive_unavailable' });
        await writeFile(path, text);
        expect((await session(a!)).eventCount).toBe(2);
        expect(await sessions.getSession('ses_00000000000000000000zz')).toBeNull(); // never archived: its shard's manifest does not name it
        expect(await sessions.getSession('../../etc/passwd')).toBeNull();
      });

      it('keeps incidents with numbers, status indexes and history; closes a request in the same commit', async () => {
        const request = await seedRequest(ctx.domain, new Date(t0), { status: 'expired' });
        const open = (n: number): Incident => ({
          id: newId('inc'),
          n,
          sessionId: 'ses_x',
          account: 'v-acme-chen-1',
          flags: ['privileged_command'],
          escalationNote: 'sudo',
          openedBy: 'aud-eve',
          openedAt: at(0),
          status: 'open',
          updatedAt: at(0),
          history: [],
        });
        const opened = await sessions.run([sessionRef.request(request.id)], async (read) => {
          const incidents = [open(await read.nextIncidentNumber()), open(await read.nextIncidentNumber())];
          const before = (await read.request(request.id))!;
          const closed = { ...before, status: 'closed' as const };
          return {
            writes: (w) => {
              for (const i of incidents) w.putIncident(i, null);
              w.putRequest(closed, before);
            },
            events: [event('incident.opened', 'incident:x'), event('request.closed', `request:${request.id}`)],
            result: incidents,
          };
        });
        const [first, second] = opened;
        expect(second!.n).toBeGreaterThan(first!.n);
        expect((await ctx.domain.getRequest(request.id))!.status).toBe('closed');
        expect((await ctx.domain.listRequests({ status: 'closed' }, undefined, 5)).items.map((r) => r.id)).toEqual([request.id]);
        expect(ids((await sessions.listIncidents(undefined, undefined, 5)).items)).toEqual([second!.id, first!.id]);

        const handled: Incident = { ...first!, status: 'resolved', handlingNote: 'password reset' };
        await sessions.run([sessionRef.incident(first!.id)], () =>
          Promise.resolve({ writes: (w) => w.putIncident(handled, first!), events: [event('incident.updated', `incident:${first!.id}`)], result: undefined }),
        );
        expect(await sessions.getIncident(first!.id)).toEqual(handled);
        expect(await sessions.getIncident('inc_absent')).toBeNull();
        expect(ids((await sessions.listIncidents('open', undefined, 5)).items)).toEqual([second!.id]);
        expect(ids((await sessions.listIncidents('resolved', undefined, 5)).items)).toEqual([first!.id]);
        const pages = await allPages((cursor) => sessions.listIncidents(undefined, cursor, 1));
        expect(pages.map(ids)).toEqual([[second!.id], [first!.id]]);
        expect((await ctx.auditTrail()).map((e) => e.action)).toEqual([
          'vendor.created',
          'person.registered',
          'request.filed',
          'incident.opened',
          'request.closed',
          'incident.updated',
        ]);
      });

      it('runs a decision again when a locked record changed meanwhile, and a batch when anything was committed meanwhile', async () => {
        const incident: Incident = {
          id: newId('inc'),
          n: 1,
          sessionId: 'ses_x',
          account: 'a',
          flags: [],
          escalationNote: 'x',
          openedBy: 'aud-eve',
          openedAt: at(0),
          status: 'open',
          updatedAt: at(0),
          history: [],
        };
        const put = (s: SessionStore, next: Incident, previous: Incident | null) =>
          s.run([sessionRef.incident(next.id)], () => Promise.resolve({ writes: (w) => w.putIncident(next, previous), events: [], result: undefined }));
        await put(sessions, incident, null);
        const other = ctx.otherProcess();
        let runs = 0;
        const seen = await sessions.run([sessionRef.incident(incident.id)], async (read) => {
          const before = (await read.incident(incident.id))!;
          if (++runs === 1) await put(other, { ...before, status: 'handling' }, before);
          return { writes: (w) => w.putIncident({ ...before, handlingNote: 'seen' }, before), events: [], result: before.status };
        });
        expect([runs, seen]).toEqual([2, 'handling']);
        expect(await sessions.getIncident(incident.id)).toMatchObject({ status: 'handling', handlingNote: 'seen' });

        let batches = 0;
        await sessions.appendEvents(async (read) => {
          await read.routingState([ev(0)]);
          if (++batches === 1) await other.run([], () => Promise.resolve({ events: [event('noted', 'x:1')], result: undefined }));
          return { events: [event('batch', 'x:2')], result: undefined };
        });
        expect(batches).toBe(2);
        expect((await ctx.auditTrail()).map((e) => e.action)).toEqual(['noted', 'batch']);
      });
    });
  });
}
