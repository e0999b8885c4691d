import { describe, expect, it } from 'vitest';
import { DEFAULT_PRIVILEGED_COMMANDS } from '../../../src/config/policy.schema.js';
import type { AccessRequest } from '../../../src/domain/types.js';
import { normalizeEvent } from '../../../src/sessions/session-event.schema.js';
import { FlagRules } from '../../../src/sessions/session-flags.js';
import { SessionGrouper, type GroupingInput, type LiveEntry } from '../../../src/sessions/session-grouper.js';
import type { SessionEventInput, SessionRecord } from '../../../src/sessions/session-record.js';

const T0 = Date.parse('2026-11-25T09:00:00Z');
const MIN = 60_000;
const at = (minutes: number) => new Date(T0 + minutes * MIN).toISOString();

function request(overrides: Partial<AccessRequest> = {}): AccessRequest {
  return {
    id: 'req_1',
    personId: 'per_1',
    vendorId: 'ven_1',
    requester: 'ops',
    workDescription: 'erp patch',
    targetSystems: ['erp-db01', 'bastion-1'],
    groups: ['cn=erp,ou=groups'],
    validFrom: at(-60),
    validTo: at(600),
    status: 'active',
    createdAt: at(-100),
    updatedAt: at(-100),
    credential: 'none',
    attempt: 1,
    history: [],
    account: { username: 'v-acme-chen-1', state: 'active' },
    ...overrides,
  };
}

function ev(minutes: number, e: Partial<SessionEventInput> = {}) {
  return normalizeEvent({ source: 'bastion-1', account: 'v-acme-chen-1', type: 'command', at: at(minutes), ...e }, 'http');
}

let counter = 0;
function grouper() {
  return new SessionGrouper({
    rules: new FlagRules(DEFAULT_PRIVILEGED_COMMANDS),
    idleMs: 30 * MIN,
    failedLoginBurst: 5,
    mintId: () => `ses_${String(++counter).padStart(22, '0')}`,
    now: () => new Date(T0),
  });
}

function input(events: ReturnType<typeof ev>[], req: AccessRequest | null = request(), state: Partial<GroupingInput> = {}): GroupingInput {
  return { events, live: new Map(), records: new Map(), requests: new Map([['v-acme-chen-1', req]]), priorFailures: new Map(), ...state };
}

const codes = (s: SessionRecord) => s.flags.map((f) => f.code).sort();

describe('grouping events into sessions', () => {
  it('groups by source session id and ties the session to request, person and vendor', () => {
    const plan = grouper().plan(
      input([
        ev(0, { type: 'login', sourceSessionId: 'a81f', sourceIp: '10.20.0.7', target: 'erp-db01' }),
        ev(1, { detail: 'ls -l', sourceSessionId: 'a81f', target: 'erp-db01' }),
        ev(2, { type: 'login', sourceSessionId: 'b002', sourceIp: '10.20.0.7', target: 'erp-db01' }),
        ev(3, { type: 'logout', sourceSessionId: 'a81f' }),
      ]),
    );
    const sessions = [...plan.touched.values()];
    expect(sessions).toHaveLength(2);
    const a = sessions.find((s) => s.sourceSessionId === 'a81f')!;
    expect(a).toMatchObject({
      requestId: 'req_1',
      personId: 'per_1',
      vendorId: 'ven_1',
      eventCount: 3,
      firstAt: at(0),
      lastAt: at(3),
      endedAt: at(3),
      sourceIps: ['10.20.0.7'],
      targets: ['erp-db01'],
    });
    expect(a.flags).toEqual([]);
  });

  it('attaches events without a session id to the latest open session of the account on that source, and opens a new one at each login', () => {
    const plan = grouper().plan(
      input([
        ev(0, { type: 'login', source: 'erp-db01', sourceSessionId: '4242', sourceIp: '10.20.0.7' }),
        ev(1, { source: 'ERP-DB01', detail: 'sudo -u root /bin/bash' }),
        ev(2, { type: 'login', source: 'bastion-1' }),
        ev(3, { source: 'bastion-1', detail: 'ls' }),
        ev(4, { type: 'login', source: 'bastion-1' }),
      ]),
    );
    const sessions = [...plan.touched.values()];
    expect(sessions.map((s) => s.eventCount)).toEqual([2, 2, 1]);
  });

  it('puts commands of back-to-back sessions without session ids into the session that had started', () => {
    const plan = grouper().plan(
      input([
        ev(0, { type: 'login' }),
        ev(1, { detail: 'a' }),
        ev(2, { type: 'logout' }),
        ev(10, { type: 'login' }),
        ev(11, { detail: 'b' }),
        ev(12, { type: 'logout' }),
      ]),
    );
    const sessions = [...plan.touched.values()];
    expect(sessions.map((s) => [s.firstAt, s.lastAt, s.eventCount])).toEqual([
      [at(0), at(2), 3],
      [at(10), at(12), 3],
    ]);
  });

  it('joins a sudo line stamped to the second with the sshd login stamped a fraction later', () => {
    const login = normalizeEvent(
      { source: 'erp-db01', account: 'v-acme-chen-1', type: 'login', at: new Date(T0 + 400).toISOString(), sourceSessionId: '4242' },
      'syslog',
    );
    const sudo = normalizeEvent(
      { source: 'erp-db01', account: 'v-acme-chen-1', type: 'command', at: new Date(T0).toISOString(), detail: 'sudo -u root /bin/bash' },
      'syslog',
    );
    const plan = grouper().plan(input([sudo, login]));
    expect([...plan.touched.values()].map((s) => s.eventCount)).toEqual([2]);
  });

  it('starts a new session after the idle timeout', () => {
    const plan = grouper().plan(input([ev(0, { sourceSessionId: 'x' }), ev(20, { sourceSessionId: 'x' }), ev(60, { sourceSessionId: 'x' })]));
    expect([...plan.touched.values()].map((s) => s.eventCount)).toEqual([2, 1]);
  });

  it('never changes a reviewed session: later events open one that continues it', () => {
    const reviewed: SessionRecord = {
      id: 'ses_old',
      n: 1,
      account: 'v-acme-chen-1',
      accountKnown: true,
      requestId: 'req_1',
      source: 'bastion-1',
      sourceSessionId: 'x',
      origin: 'http',
      sourceIps: [],
      targets: [],
      firstAt: at(0),
      lastAt: at(1),
      eventCount: 2,
      flags: [],
      review: { verdict: 'ok', by: 'aud', at: at(2) },
      createdAt: at(0),
      updatedAt: at(2),
    };
    const live = new Map([
      [
        'v-acme-chen-1',
        new Map<string, LiveEntry>([['bastion-1\nx', { id: 'ses_old', source: 'bastion-1', sid: 'x', firstMs: T0, lastMs: T0 + MIN, reviewed: true }]]),
      ],
    ]);
    const plan = grouper().plan(input([ev(3, { sourceSessionId: 'x', detail: 'sudo -i' })], request(), { live, records: new Map([['ses_old', reviewed]]) }));
    expect(plan.touched.has('ses_old')).toBe(false);
    const [fresh] = [...plan.touched.values()];
    expect(fresh).toMatchObject({ continues: 'ses_old', eventCount: 1 });
    expect(reviewed.eventCount).toBe(2);
  });
});

describe('flags', () => {
  it('flags `sudo -i` as privileged and a login to an unapproved host as out of scope', () => {
    const plan = grouper().plan(
      input([
        ev(0, { type: 'login', sourceSessionId: 's1', target: 'erp-db01.school.local' }),
        ev(1, { sourceSessionId: 's1', detail: 'sudo -i', target: 'erp-db01' }),
        ev(2, { type: 'login', sourceSessionId: 's2', target: 'hr-db02' }),
      ]),
    );
    const [s1, s2] = [...plan.touched.values()];
    expect(codes(s1!)).toEqual(['privileged_command']);
    expect(codes(s2!)).toEqual(['target_not_approved']);
    expect(plan.events.get(s1!.id)![1]!.flags).toEqual(['privileged_command']);
  });

  it('flags events outside the approved window and after revocation', () => {
    const revoked = request({ status: 'revoked', validTo: at(600), account: { username: 'v-acme-chen-1', state: 'disabled', disabledAt: at(30) } });
    const plan = grouper().plan(input([ev(-90, { sourceSessionId: 'a' }), ev(45, { sourceSessionId: 'b' }), ev(700, { sourceSessionId: 'c' })], revoked));
    const [early, afterRevoke, late] = [...plan.touched.values()];
    expect(codes(early!)).toEqual(['outside_window']);
    expect(codes(afterRevoke!)).toEqual(['after_revocation']);
    expect(codes(late!)).toEqual(['after_revocation', 'outside_window']);
  });

  it('keeps events of unknown accounts and flags their sessions', () => {
    const plan = grouper().plan(input([ev(0, { account: 'mallory' })], null, { requests: new Map([['mallory', null]]) }));
    const [s] = [...plan.touched.values()];
    expect(s).toMatchObject({ account: 'mallory', accountKnown: false });
    expect(codes(s!)).toEqual(['unknown_account']);
  });

  it('flags concurrent sessions of one account from different addresses (clause 1.6.4), not sequential ones', () => {
    const plan = grouper().plan(
      input([
        ev(0, { type: 'login', sourceSessionId: 'a', sourceIp: '10.0.0.1' }),
        ev(5, { type: 'login', source: 'erp-db01', sourceSessionId: 'b', sourceIp: '10.0.0.2', target: 'erp-db01' }),
        ev(10, { type: 'logout', sourceSessionId: 'a' }),
        ev(10, { type: 'logout', source: 'erp-db01', sourceSessionId: 'b' }),
        ev(20, { type: 'login', sourceSessionId: 'c', sourceIp: '10.0.0.3' }),
      ]),
    );
    const [a, b, c] = [...plan.touched.values()];
    expect(codes(a!)).toEqual(['concurrent_sessions']);
    expect(codes(b!)).toEqual(['concurrent_sessions']);
    expect(a!.flags[0]!.key).toBe(b!.id);
    expect(codes(c!)).toEqual([]);
  });

  it('flags a burst of failed logins, counting failures already stored', () => {
    const fails = [1, 2, 3].map((m) => ev(m, { type: 'failed_login', source: 'erp-db01', sourceSessionId: `p${m}`, sourceIp: '203.0.113.9' }));
    const plan = grouper().plan(input(fails, request(), { priorFailures: new Map([['v-acme-chen-1', [T0, T0 + 30_000]]]) }));
    const sessions = [...plan.touched.values()];
    expect(sessions.map(codes)).toEqual([[], [], ['failed_login_burst']]);
    const quiet = grouper().plan(input(fails));
    expect([...quiet.touched.values()].flatMap(codes)).toEqual([]);
  });
});
