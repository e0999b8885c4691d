import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { Attribute, Change } from 'ldapts';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { childDn } from '../../src/provisioner/ldap/escape.js';
import { attrValue } from '../../src/provisioner/ldap/ldap-entry.js';
import { eq } from '../../src/provisioner/ldap/ldap-filters.js';
import type { LdapConnection } from '../../src/provisioner/ldap/ldap-connection.js';
import { DEMO_STAFF, DEMO_STAFF_ROLES, ssha } from '../../tools/dev/slapd-seed.js';
import { adminConnection } from '../rig/ldap-subtree.js';
import { findSecrets } from '../support/find-secrets.js';
import { apiClient, slapdTarget, startTestService, type TestService } from '../support/service-harness.js';
import { staffClient } from '../support/staff-client.js';
import { auditTrail, vendorWithPerson } from '../support/fixtures.js';
import { FakeClock } from '../support/fake-clock.js';

const PUBLIC_URL = 'https://leasehold.school.test';
const rand = randomBytes(4).toString('hex');
/** Login names unique to this file, so the run's other tests never match them. */
const login = (who: string) => `${who}-${rand}`;
const PASSWORDS = {
  alice: 'Alice-pw-1',
  bob: 'Bob-pw-1',
  carol: 'Carol-pw-1',
  dave: 'Dave-pw-1',
  erin: 'Erin-pw-1',
  frank: 'Frank-pw-1',
  gina: 'Gina-pw-1',
  vendor: 'Vendor-pw-1',
};

describe('staff sign-in against OpenLDAP', () => {
  let admin: LdapConnection;
  let root: string;
  let svc: TestService;
  let groups: Record<'requesters' | 'approvers' | 'approverTeam' | 'admins', string>;
  const dnOf: Record<string, string> = {};

  beforeAll(async () => {
    const slapd = inject('slapd');
    admin = adminConnection(slapd);
    const ou = async (name: string, parent: string) => {
      const dn = childDn('ou', name, parent);
      await admin.add(dn, { objectClass: ['organizationalUnit'], ou: [name] });
      return dn;
    };
    // Staff live outside the run's vendor OU, in a corner of ou=people of their own; the vendor OU is this file's too.
    root = await ou(`staff-${rand}`, slapd.peopleOu);
    const people = await ou('people', root);
    const vendors = await ou('vendors', root);
    const user = async (key: keyof typeof PASSWORDS, parent = people) => {
      const uid = login(key);
      const dn = childDn('uid', uid, parent);
      await admin.add(dn, {
        objectClass: ['inetOrgPerson'],
        uid: [uid],
        cn: [`${key} Staff`],
        sn: ['Staff'],
        displayName: [`${key} (display)`],
        userPassword: [ssha(PASSWORDS[key])],
      });
      dnOf[key] = dn;
    };
    for (const k of ['alice', 'bob', 'carol', 'dave', 'erin', 'frank', 'gina'] as const) await user(k);
    await user('vendor', vendors);
    // One login name, three accounts (in three OUs): ambiguous, so nobody signs in with it.
    for (const name of ['a', 'b', 'c']) {
      const twin = childDn('uid', login('twin'), await ou(name, root));
      await admin.add(twin, { objectClass: ['inetOrgPerson'], uid: [login('twin')], cn: ['Twin'], sn: ['Twin'], userPassword: [ssha(PASSWORDS.alice)] });
    }
    const group = async (name: string, members: string[]) => {
      const dn = childDn('cn', name, root);
      await admin.add(dn, { objectClass: ['groupOfNames'], cn: [name], member: members });
      return dn;
    };
    // The empty DN keeps the group valid (groupOfNames needs a member) when bob is taken out.
    const approverTeam = await group(`approver-team-${rand}`, [dnOf.bob!, '']);
    const middle = await group(`supervisors-${rand}`, [approverTeam, dnOf.frank!]);
    groups = {
      requesters: await group(`requesters-${rand}`, [dnOf.alice!, dnOf.dave!, dnOf.frank!, dnOf.gina!, dnOf.vendor!]),
      // bob is an approver two levels down: approver-team ∈ supervisors ∈ approvers.
      approvers: await group(`approvers-${rand}`, [middle]),
      approverTeam,
      admins: await group(`admins-${rand}`, [dnOf.erin!]),
    };
    svc = await startTestService({
      redisUrl: inject('redisUrl'),
      directory: slapdTarget(slapd, vendors),
      policy: {
        staff: {
          // By DN, by name: both forms of policy.staff.roles.
          roles: { requester: [groups.requesters], approver: [`approvers-${rand}`], auditor: [], admin: [groups.admins], 'exception-approver': [] },
          idleMinutes: 30,
          absoluteHours: 10,
          roleRefreshMinutes: 0.02,
        },
      },
      env: { STAFF_SEARCH_BASE: root, PUBLIC_URL },
    });
  });

  afterAll(async () => {
    await svc?.close();
    const entries = await admin.search(root, { scope: 'sub', attributes: ['1.1'] });
    const depth = (d: string) => d.split(/(?<!\\),/).length;
    for (const e of entries.sort((a, b) => depth(b.dn) - depth(a.dn))) await admin.del(e.dn);
    await admin.close();
  });

  it('signs a requester in and sets an HttpOnly, SameSite=Strict, Secure session cookie for /', async () => {
    const c = staffClient(svc.url, PUBLIC_URL);
    const r = await c.login(login('alice'), PASSWORDS.alice);
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ name: login('alice'), displayName: 'alice (display)', roles: ['requester'], csrfToken: expect.any(String) });
    expect(r.headers.get('cache-control')).toBe('no-store');
    const flags = c.setCookie!.split(';').map((f) => f.trim().toLowerCase());
    expect(flags).toEqual(expect.arrayContaining(['httponly', 'samesite=strict', 'path=/', 'secure']));
    const me = await c.call('GET', '/v1/auth/me');
    expect(me).toMatchObject({ status: 200, body: r.body });
  });

  it('answers a wrong password and an unknown login with the same 401', async () => {
    const c = staffClient(svc.url);
    const wrong = await c.login(login('carol'), 'not-her-password');
    const unknown = await c.login(login('nobody-here'), 'whatever-1');
    expect(wrong.status).toBe(401);
    expect(unknown.status).toBe(401);
    const strip = (b: { error: unknown }) => b.error;
    expect(strip(wrong.body)).toEqual(strip(unknown.body));
    expect(c.cookie).toBeUndefined();
  });

  it('refuses a vendor account whatever the password (403 vendor_account), without ever binding as it', async () => {
    for (const password of [PASSWORDS.vendor, 'wrong-password']) {
      const r = await staffClient(svc.url).login(login('vendor'), password);
      expect(r.status).toBe(403);
      expect(r.body.error.code).toBe('vendor_account');
    }
    // slapd's accesslog records every bind, refused or accepted: none names the vendor.
    const log = await admin.search(inject('slapd').accesslogDn, { scope: 'one', filter: eq('reqDN', dnOf.vendor!), attributes: ['reqType'] });
    expect(log.filter((e) => attrValue(e, 'reqType') === 'bind')).toEqual([]);
    // The same log sees a staff bind, so its silence about the vendor means something.
    const staffLog = await admin.search(inject('slapd').accesslogDn, { scope: 'one', filter: eq('reqDN', dnOf.alice!), attributes: ['reqType'] });
    expect(staffLog.some((e) => attrValue(e, 'reqType') === 'bind')).toBe(true);
  });

  it('takes filter syntax in a login name as text, never as a filter', async () => {
    for (const name of ['*', `${login('alice').slice(0, 3)}*`, `${login('alice')})(uid=*`, `*)(|(uid=*`]) {
      const r = await staffClient(svc.url).login(name, PASSWORDS.alice);
      expect(r.status, name).toBe(401);
    }
  });

  it('signs nobody in with a login name that several accounts answer to', async () => {
    const r = await staffClient(svc.url).login(login('twin'), PASSWORDS.alice);
    expect(r.status).toBe(401);
    expect(r.body.error.message).toBe('unknown login name or wrong password');
  });

  it('grants a role through a group nested two levels deep', async () => {
    const r = await staffClient(svc.url).login(login('bob'), PASSWORDS.bob);
    expect(r.status).toBe(200);
    expect(r.body.roles).toEqual(['approver']);
  });

  it('refuses a staff member whose groups map to no role (403 no_role)', async () => {
    const r = await staffClient(svc.url).login(login('carol'), PASSWORDS.carol);
    expect(r.status).toBe(403);
    expect(r.body.error.code).toBe('no_role');
  });

  it('refuses the sixth try within 15 minutes with 429, even with the right password', async () => {
    const c = staffClient(svc.url);
    for (let i = 0; i < 5; i++) expect((await c.login(login('dave'), `wrong-${i}`)).status).toBe(401);
    expect((await c.login(login('dave'), PASSWORDS.dave)).status).toBe(429);
  });

  it('refuses cookie-authenticated writes without the CSRF token, with a wrong one or from another Origin, and changes nothing', async () => {
    const c = staffClient(svc.url, PUBLIC_URL);
    expect((await c.login(login('alice'), PASSWORDS.alice)).status).toBe(200);
    const vendor = { name: `CSRF Vendor ${rand}`, contractRef: 'C-1', contractEndsAt: '2099-01-01T00:00:00Z' };
    const tries = [{ 'x-csrf-token': undefined }, { 'x-csrf-token': 'not-the-token-at-all' }, { origin: 'https://evil.example' }];
    for (const headers of tries) {
      const r = await c.call('POST', '/v1/vendors', vendor, headers);
      expect(r.status).toBe(403);
      expect(r.body.error.code).toBe('csrf');
    }
    const list = await c.call('GET', `/v1/vendors?q=${encodeURIComponent(vendor.name)}`);
    expect(list.status).toBe(200);
    expect(list.body.items).toEqual([]);
    // The same write with token and Origin goes through: the refusals were the check, not the route.
    expect((await c.call('POST', '/v1/vendors', vendor)).status).toBe(201);
  });

  it('names a person by the directory spelling of the login, and never lets them approve what they filed', async () => {
    const c = staffClient(svc.url, PUBLIC_URL);
    const r = await c.login(login('frank').toUpperCase(), PASSWORDS.frank);
    expect(r).toMatchObject({ status: 200, body: { name: login('frank'), roles: ['requester', 'approver'] } });
    const { personId } = await vendorWithPerson(apiClient(svc.url), svc, `SoD Vendor ${rand}`);
    const filed = await c.call('POST', '/v1/requests', {
      personId,
      workDescription: 'maintenance',
      targetSystems: ['erp-app01'],
      groups: [childDn('cn', 'erp-support', inject('slapd').groupsOu)],
      validFrom: new Date(Date.now() + 3_600_000).toISOString(),
      validTo: new Date(Date.now() + 7_200_000).toISOString(),
    });
    expect(filed.status, JSON.stringify(filed.body)).toBe(201);
    expect(filed.body.requester).toBe(login('frank'));
    const approved = await c.call('POST', `/v1/requests/${filed.body.id}/approve`, {});
    expect(approved.status).toBe(403);
    expect((await c.call('GET', `/v1/requests/${filed.body.id}`)).body.status).toBe(filed.body.status);
  });

  it('keeps bearer tokens working unchanged, without CSRF token', async () => {
    const api = apiClient(svc.url);
    const r = await api('GET', '/v1/auth/me', svc.tokens.requester);
    expect(r).toMatchObject({ status: 200, body: { name: 'requester', roles: ['requester'], csrfToken: null } });
  });

  it('drops a role removed in the directory at the next refresh: a person left without roles loses the session', async () => {
    const c = staffClient(svc.url, PUBLIC_URL);
    expect((await c.login(login('bob'), PASSWORDS.bob)).status).toBe(200);
    await admin.modify(groups.approverTeam, new Change({ operation: 'delete', modification: new Attribute({ type: 'member', values: [dnOf.bob!] }) }));
    try {
      await new Promise((r) => setTimeout(r, 1500));
      expect((await c.call('GET', '/v1/auth/me')).status).toBe(401);
    } finally {
      await admin.modify(groups.approverTeam, new Change({ operation: 'add', modification: new Attribute({ type: 'member', values: [dnOf.bob!] }) }));
    }
  });

  it('takes away one role removed in the directory at the next refresh and keeps the others', async () => {
    const c = staffClient(svc.url, PUBLIC_URL);
    expect((await c.login(login('frank'), PASSWORDS.frank)).body.roles).toEqual(['requester', 'approver']);
    const supervisors = childDn('cn', `supervisors-${rand}`, root);
    await admin.modify(supervisors, new Change({ operation: 'delete', modification: new Attribute({ type: 'member', values: [dnOf.frank!] }) }));
    try {
      await new Promise((r) => setTimeout(r, 1500));
      expect(await c.call('GET', '/v1/auth/me')).toMatchObject({ status: 200, body: { roles: ['requester'] } });
    } finally {
      await admin.modify(supervisors, new Change({ operation: 'add', modification: new Attribute({ type: 'member', values: [dnOf.frank!] }) }));
    }
  });

  it('ends the session of an account locked in the directory at the next refresh', async () => {
    const c = staffClient(svc.url, PUBLIC_URL);
    expect((await c.login(login('alice'), PASSWORDS.alice)).status).toBe(200);
    const lock = new Attribute({ type: 'pwdAccountLockedTime', values: ['000001010000Z'] });
    await admin.modify(dnOf.alice!, new Change({ operation: 'replace', modification: lock }));
    try {
      await new Promise((r) => setTimeout(r, 1500));
      expect((await c.call('GET', '/v1/auth/me')).status).toBe(401);
    } finally {
      await admin.modify(dnOf.alice!, new Change({ operation: 'delete', modification: new Attribute({ type: 'pwdAccountLockedTime' }) }));
    }
  });

  it('ends the session of an account deleted from the directory at the next refresh', async () => {
    const c = staffClient(svc.url, PUBLIC_URL);
    expect((await c.login(login('gina'), PASSWORDS.gina)).status).toBe(200);
    await admin.del(dnOf.gina!);
    await new Promise((r) => setTimeout(r, 1500));
    expect((await c.call('GET', '/v1/auth/me')).status).toBe(401);
    const ended = (await auditTrail(svc)).filter((e) => e.action === 'staff.session_ended' && e.subject === `staff:${login('gina')}`);
    expect(ended.map((e) => (e.details as { reason: string }).reason)).toEqual(['account_disabled_or_deleted']);
  });

  it('lets an administrator list and end all sessions of a person; logout ends one', async () => {
    const first = staffClient(svc.url, PUBLIC_URL);
    const second = staffClient(svc.url, PUBLIC_URL);
    expect((await first.login(login('bob'), PASSWORDS.bob)).status).toBe(200);
    expect((await second.login(login('bob'), PASSWORDS.bob)).status).toBe(200);
    const boss = staffClient(svc.url, PUBLIC_URL);
    expect((await boss.login(login('erin'), PASSWORDS.erin)).status).toBe(200);
    const listed = await boss.call('GET', `/v1/auth/staff/${login('bob')}/sessions`);
    expect(listed.status).toBe(200);
    expect(listed.body.items.length).toBeGreaterThanOrEqual(2);
    // Not the administrator's own CSRF token: refused, nothing ended.
    expect((await boss.call('DELETE', `/v1/auth/staff/${login('bob')}/sessions`, undefined, { 'x-csrf-token': first.csrfToken })).status).toBe(403);
    expect((await first.call('GET', '/v1/auth/me')).status).toBe(200);
    const revoked = await boss.call('DELETE', `/v1/auth/staff/${login('bob')}/sessions`);
    expect(revoked).toMatchObject({ status: 200, body: { revoked: listed.body.items.length } });
    expect((await first.call('GET', '/v1/auth/me')).status).toBe(401);
    expect((await second.call('GET', '/v1/auth/me')).status).toBe(401);
    // Logout: 204, and the cookie signs nobody in any more.
    expect((await boss.call('POST', '/v1/auth/logout')).status).toBe(204);
    expect((await boss.call('GET', '/v1/auth/me')).status).toBe(401);
  });

  it('audits sign-in, refusals and logout, and never a password, in Redis or the audit file', async () => {
    await svc.auditMirror.sync();
    const lines = (await readFile(svc.config.env.AUDIT_LOG_FILE, 'utf8')).split('\n').filter(Boolean);
    const events = lines.map((l) => JSON.parse(l) as { action: string; outcome: string; details: Record<string, unknown> });
    const staffLogins = events.filter((e) => e.action === 'staff.login');
    expect(staffLogins.some((e) => e.outcome === 'success')).toBe(true);
    expect(staffLogins.map((e) => e.details.reason)).toEqual(expect.arrayContaining(['vendor_account', 'no_role']));
    expect(events.some((e) => e.action === 'staff.logout')).toBe(true);
    expect(events.some((e) => e.action === 'auth.failed')).toBe(true);
    const secrets = Object.fromEntries(Object.entries(PASSWORDS).map(([k, v]) => [`password:${k}`, v]));
    const findings = await findSecrets({ secrets, redis: { client: svc.redis, match: `${svc.prefix}:*` }, files: [svc.config.env.AUDIT_LOG_FILE] });
    expect(findings).toEqual([]);
  });
});

describe('the seeded demo staff (npm run dev, and the browser tests)', () => {
  let svc: TestService;

  beforeAll(async () => {
    const slapd = inject('slapd');
    // API only: a worker here would reconcile the whole shared ou=vendors and disable the other test files' accounts as orphans.
    svc = await startTestService({
      redisUrl: inject('redisUrl'),
      directory: slapdTarget(slapd, slapd.vendorsOu),
      mode: 'api',
      policy: { staff: { roles: DEMO_STAFF_ROLES, idleMinutes: 30, absoluteHours: 10, roleRefreshMinutes: 5 } },
    });
  });
  afterAll(async () => {
    await svc?.close();
  });

  it('sign in with the printed passwords, the auditor through audit-office ∈ leasehold-auditors, and nobody without a role', async () => {
    for (const s of DEMO_STAFF) {
      const r = await staffClient(svc.url).login(s.login, s.password);
      if (s.role === undefined) expect(r.body.error?.code).toBe('no_role');
      else expect(r).toMatchObject({ status: 200, body: { name: s.login, displayName: s.displayName, roles: [s.role] } });
    }
  });
});

describe('staff session lifetime on the service clock', () => {
  let svc: TestService;
  const clock = new FakeClock(new Date());
  const demo = DEMO_STAFF.find((s) => s.role === 'requester')!;

  beforeAll(async () => {
    const slapd = inject('slapd');
    // API only, as above: no reconciler over the shared ou=vendors.
    svc = await startTestService({ redisUrl: inject('redisUrl'), directory: slapdTarget(slapd, slapd.vendorsOu), mode: 'api', now: clock.now });
  });
  afterAll(async () => {
    await svc?.close();
  });

  it('ends a session left unused for 30 minutes, not one used every 29', async () => {
    const c = staffClient(svc.url);
    expect((await c.login(demo.login, demo.password)).status).toBe(200);
    for (let i = 0; i < 3; i++) {
      clock.advance(29 * 60_000);
      expect((await c.call('GET', '/v1/auth/me')).status).toBe(200);
    }
    clock.advance(30 * 60_000);
    expect((await c.call('GET', '/v1/auth/me')).status).toBe(401);
  });

  it('ends a session 10 hours after sign-in however busy', async () => {
    const c = staffClient(svc.url);
    expect((await c.login(demo.login, demo.password)).status).toBe(200);
    for (let i = 0; i < 23; i++) {
      clock.advance(25 * 60_000);
      expect((await c.call('GET', '/v1/auth/me')).status).toBe(200);
    }
    clock.advance(25 * 60_000);
    expect((await c.call('GET', '/v1/auth/me')).status).toBe(401);
    const ended = (await auditTrail(svc)).filter((e) => e.action === 'staff.session_ended').map((e) => (e.details as { reason: string }).reason);
    expect(ended).toEqual(['idle', 'absolute']);
  });
});
