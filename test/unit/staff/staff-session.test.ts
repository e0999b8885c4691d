import { describe, expect, it } from 'vitest';
import { readSessionCookie } from '../../../src/staff/session-cookie.js';
import { rolesFor } from '../../../src/staff/staff-roles.js';
import { sessionExpiresAt, sessionVerdict, type SessionLimits, type StaffSession } from '../../../src/staff/staff-session.js';
import { FakeClock } from '../../support/fake-clock.js';

const MIN = 60_000;
const limits: SessionLimits = { idleMs: 30 * MIN, absoluteMs: 10 * 60 * MIN, roleRefreshMs: 5 * MIN };

function sessionAt(clock: FakeClock): StaffSession {
  const t = clock.now().getTime();
  return {
    idHash: 'h',
    name: 'alice',
    dn: 'uid=alice',
    displayName: 'Alice',
    roles: ['requester'],
    csrfToken: 'c',
    ip: '::1',
    createdAt: t,
    lastSeenAt: t,
    rolesCheckedAt: t,
  };
}

describe('staff session lifetime', () => {
  it('ends a session left idle for 30 minutes', () => {
    const clock = new FakeClock();
    const s = sessionAt(clock);
    clock.advance(30 * MIN - 1);
    expect(sessionVerdict({ ...s, rolesCheckedAt: clock.now().getTime() }, clock.now().getTime(), limits)).toBe('ok');
    clock.advance(1);
    expect(sessionVerdict(s, clock.now().getTime(), limits)).toBe('idle');
  });

  it('ends a session used all along after 10 hours', () => {
    const clock = new FakeClock();
    const s = sessionAt(clock);
    // Used every 20 minutes with roles re-read: never idle, but the absolute limit holds.
    for (let i = 0; i < 29; i++) {
      clock.advance(20 * MIN);
      const now = clock.now().getTime();
      expect(sessionVerdict(s, now, limits)).not.toBe('absolute');
      s.lastSeenAt = now;
      s.rolesCheckedAt = now;
    }
    clock.advance(20 * MIN);
    expect(sessionVerdict(s, clock.now().getTime(), limits)).toBe('absolute');
  });

  it('asks for a role re-read once 5 minutes have passed since the last one', () => {
    const clock = new FakeClock();
    const s = sessionAt(clock);
    clock.advance(5 * MIN - 1);
    expect(sessionVerdict(s, clock.now().getTime(), limits)).toBe('ok');
    clock.advance(1);
    expect(sessionVerdict(s, clock.now().getTime(), limits)).toBe('refresh');
  });

  it('expires the stored session at the earlier of its idle and absolute ends', () => {
    const clock = new FakeClock();
    const s = sessionAt(clock);
    expect(sessionExpiresAt(s, limits)).toBe(s.createdAt + 30 * MIN);
    expect(sessionExpiresAt({ ...s, lastSeenAt: s.createdAt + 9 * 60 * MIN + 45 * MIN }, limits)).toBe(s.createdAt + 10 * 60 * MIN);
  });
});

describe('staff roles from groups', () => {
  const mapping = { requester: ['cn=Req,ou=groups,dc=school,dc=test'], approver: ['Supervisors'], auditor: [], admin: [], 'exception-approver': [] };

  it('matches a DN whatever its spelling and a name whatever its case', () => {
    const groups = [
      { dn: 'CN=req, OU=Groups,DC=school,DC=test', names: ['req'] },
      { dn: 'cn=supervisors,ou=groups,dc=school,dc=test', names: ['supervisors'] },
    ];
    expect(rolesFor(groups, mapping)).toEqual(['requester', 'approver']);
  });

  it('grants nothing for groups the policy does not name', () => {
    expect(rolesFor([{ dn: 'cn=lab,ou=groups,dc=school,dc=test', names: ['lab'] }], mapping)).toEqual([]);
  });
});

describe('session cookie', () => {
  it('reads the session id among other cookies and ignores malformed values', () => {
    const id = 'a'.repeat(43);
    expect(readSessionCookie(`theme=dark; leasehold_session=${id}; lang=zh-TW`)).toBe(id);
    expect(readSessionCookie('leasehold_session=short')).toBeUndefined();
    expect(readSessionCookie(`leasehold_session=${'a'.repeat(30)};x`)).toBe('a'.repeat(30));
    expect(readSessionCookie(undefined)).toBeUndefined();
  });
});
