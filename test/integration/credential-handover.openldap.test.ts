import { Writable } from 'node:stream';
import { Redis } from 'ioredis';
import winston from 'winston';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { childDn } from '../../src/provisioner/ldap/escape.js';
import { createLdapSubtree, type LdapSubtree } from '../rig/ldap-subtree.js';
import { probe } from '../support/directory-probe.js';
import { findSecrets } from '../support/find-secrets.js';
import { auditTrail, fileRequest, untilStatus, vendorWithPerson } from '../support/fixtures.js';
import { apiClient, slapdTarget, startTestService, type DirectoryTarget, type TestService } from '../support/service-harness.js';

const PUBLIC_URL = 'https://leasehold.school.test';

/** The token at the end of a pickup URL. */
function tokenOf(pickupUrl: string): string {
  return pickupUrl.slice(`${PUBLIC_URL}/pickup/`.length);
}

/** A code that is not `code`. */
function otherThan(code: string): string {
  return String((Number(code) + 1) % 100_000_000).padStart(8, '0');
}

describe('handover of the initial password to the vendor person (clauses 1.6.4, 1.1.9) over HTTP, on slapd', () => {
  const lines: string[] = [];
  let subtree: LdapSubtree;
  let target: DirectoryTarget;
  let svc: TestService;
  let api: ReturnType<typeof apiClient>;
  let group: string;

  beforeAll(async () => {
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        lines.push(chunk.toString());
        done();
      },
    });
    // Everything the service logs, at the most verbose level, in the production format.
    const logger = winston.createLogger({ level: 'silly', format: winston.format.json(), transports: [new winston.transports.Stream({ stream: sink })] });
    subtree = await createLdapSubtree('handover');
    const slapd = inject('slapd');
    target = slapdTarget(slapd, subtree.dn);
    group = childDn('cn', 'erp-support', slapd.groupsOu);
    svc = await startTestService({
      redisUrl: inject('redisUrl'),
      directory: target,
      logger,
      policy: { credentials: { handover: 'vendor', pickupHours: 24, mustChangeAtFirstLogon: true } },
      env: { PUBLIC_URL },
    });
    api = apiClient(svc.url);
  });
  afterAll(async () => {
    await svc?.close();
    await subtree?.cleanup();
  });

  async function activeRequest(name: string): Promise<{ id: string; dn: string; username: string }> {
    const { personId } = await vendorWithPerson(api, svc, name);
    const id = await fileRequest(api, svc, personId, group);
    const active = await untilStatus(api, svc, id, 'active');
    return { id, dn: active.account.dn, username: active.account.username };
  }

  it('lets the vendor pick the password up once with link and code, never the requester, and the first logon must change it', async () => {
    const t = svc.tokens;
    const { id, dn, username } = await activeRequest('Handover Co');

    const refused = await api('POST', `/v1/requests/${id}/credentials`, t.requester, {});
    expect(refused.status).toBe(409);
    expect(refused.body.error.details[0].rule).toBe('handover_vendor');
    expect(JSON.stringify(refused.body)).not.toMatch(/password"/);

    expect((await api('POST', `/v1/requests/${id}/handover`, t.requester2, {})).status).toBe(403);
    expect((await api('POST', `/v1/requests/${id}/handover`, t.approver, {})).status).toBe(403);
    const issued = await api('POST', `/v1/requests/${id}/handover`, t.requester, {});
    expect(issued.status, JSON.stringify(issued.body)).toBe(201);
    const { pickupUrl, code, expiresAt } = issued.body as { pickupUrl: string; code: string; expiresAt: string };
    expect(pickupUrl.startsWith(`${PUBLIC_URL}/pickup/`)).toBe(true);
    expect(code).toMatch(/^\d{8}$/);
    expect(Date.parse(expiresAt) - Date.now()).toBeGreaterThan(23.9 * 3_600_000);
    const token = tokenOf(pickupUrl);

    // The request as staff see it: when and until when, never a digest.
    const seen = await api('GET', `/v1/requests/${id}`, t.auditor);
    expect(seen.body.handover).toEqual({ issuedAt: expect.any(String), issuedBy: 'requester', expiresAt, failedAttempts: 0 });
    expect(seen.body.credential).toBe('available');

    // The public page's question: no sign-in, nothing secret.
    const status = await api('GET', `/v1/pickup/${token}`);
    expect(status).toEqual({ status: 200, body: { valid: true, expiresAt, attemptsLeft: 5 } });
    expect((await api('GET', `/v1/pickup/${id}.${'x'.repeat(43)}`)).body).toMatchObject({ valid: false, reason: 'unknown' });

    // CSRF: a cross-site form can send only a form or text body: refused before the code is looked at, and not counted.
    const form = await fetch(`${svc.url}/v1/pickup/${token}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: `code=${code}`,
    });
    expect(form.status).toBe(400);
    const text = await fetch(`${svc.url}/v1/pickup/${token}`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: JSON.stringify({ code }) });
    expect(text.status).toBe(400);

    const wrong = await api('POST', `/v1/pickup/${token}`, undefined, { code: otherThan(code) });
    expect(wrong.status).toBe(403);
    expect(wrong.body.error.details[0]).toMatchObject({ rule: 'pickup_code', attemptsLeft: 4 });

    const picked = await api('POST', `/v1/pickup/${token}`, undefined, { code });
    expect(picked.status, JSON.stringify(picked.body)).toBe(200);
    expect(picked.body).toEqual({ username, dn, password: expect.any(String), mustChangeAtFirstLogon: true });
    const password = picked.body.password as string;
    expect(password.length).toBeGreaterThanOrEqual(20);

    const second = await api('POST', `/v1/pickup/${token}`, undefined, { code });
    expect(second.status).toBe(410);
    expect(second.body.error.details[0].rule).toBe('pickup_used');
    expect((await api('GET', `/v1/pickup/${token}`)).body).toMatchObject({ valid: false, reason: 'used' });
    expect((await api('POST', `/v1/requests/${id}/credentials`, t.requester, {})).status).toBe(409);
    expect((await api('POST', `/v1/requests/${id}/handover`, t.requester, {})).status).toBe(409);
    expect((await api('GET', `/v1/requests/${id}`, t.auditor)).body).toMatchObject({ credential: 'retrieved', handover: { usedAt: expect.any(String) } });

    // The vendor's first logon, with a plain LDAP client: the bind works, anything but a password change is refused.
    expect(await probe.bindOutcome(target, dn, password)).toBe('bound');
    const changed = `${password}-Changed-9`;
    const logon = await probe.firstLogon(target, dn, password, changed);
    expect(logon.before).toMatchObject({ code: 50, message: expect.stringMatching(/restricted to bind\/unbind\/abandon\/StartTLS\/modify password/) });
    expect(logon.after).toBe('ok');
    expect(await probe.canBind(target, dn, password)).toBe(false);

    const trail = (await auditTrail(svc)).filter((e) => e.subject === `request:${id}` && e.action.startsWith('credential.'));
    expect(trail.map((e) => [e.action, e.outcome, (e as { actor?: string }).actor])).toEqual([
      ['credential.retrieve', 'refused', 'requester'],
      ['credential.handover', 'refused', 'requester2'],
      ['credential.handover.issued', 'success', 'requester'],
      ['credential.pickup.failed', 'refused', 'pickup-link'],
      ['credential.pickup.succeeded', 'success', 'pickup-link'],
      ['credential.pickup.failed', 'refused', 'pickup-link'],
      ['credential.retrieve', 'refused', 'requester'],
    ]);
    expect(trail[3]!.details).toMatchObject({ reason: 'wrong_code', attempt: 1, ip: expect.any(String) });

    await svc.auditMirror.sync();
    const secrets = { password, 'pickup code': code, 'pickup token': token.split('.')[1]!, 'pickup URL': pickupUrl, 'changed password': changed };
    const redis = new Redis(inject('redisUrl'));
    try {
      const findings = await findSecrets({ secrets, redis: { client: redis, match: `${svc.prefix}:*` }, files: [svc.config.env.AUDIT_LOG_FILE] });
      expect(findings).toEqual([]);
    } finally {
      redis.disconnect();
    }
    const logText = lines.join('');
    expect(logText).toContain('account provisioned');
    for (const [label, secret] of Object.entries(secrets)) expect(logText.includes(secret), `${label} in a log line`).toBe(false);
  }, 60_000);

  it('burns a link after five wrong codes, forgets a link replaced by a new handover, and a fresh one still works', async () => {
    const t = svc.tokens;
    const { id, dn } = await activeRequest('Burned Co');
    const first = (await api('POST', `/v1/requests/${id}/handover`, t.requester, {})).body as { pickupUrl: string; code: string };
    for (let left = 4; left > 0; left--) {
      const wrong = await api('POST', `/v1/pickup/${tokenOf(first.pickupUrl)}`, undefined, { code: otherThan(first.code) });
      expect([wrong.status, wrong.body.error.details[0].attemptsLeft]).toEqual([403, left]);
    }
    const fifth = await api('POST', `/v1/pickup/${tokenOf(first.pickupUrl)}`, undefined, { code: otherThan(first.code) });
    expect([fifth.status, fifth.body.error.details[0].rule]).toEqual([410, 'pickup_burned']);
    expect((await api('POST', `/v1/pickup/${tokenOf(first.pickupUrl)}`, undefined, { code: first.code })).status).toBe(410);
    expect((await api('GET', `/v1/pickup/${tokenOf(first.pickupUrl)}`)).body).toMatchObject({ valid: false, reason: 'burned' });

    const second = (await api('POST', `/v1/requests/${id}/handover`, t.requester, {})).body as { pickupUrl: string; code: string };
    const third = (await api('POST', `/v1/requests/${id}/handover`, t.requester, {})).body as { pickupUrl: string; code: string };
    expect((await api('POST', `/v1/pickup/${tokenOf(second.pickupUrl)}`, undefined, { code: second.code })).status).toBe(404);
    const picked = await api('POST', `/v1/pickup/${tokenOf(third.pickupUrl)}`, undefined, { code: third.code });
    expect(picked.status).toBe(200);
    expect(await probe.canBind(target, dn, picked.body.password)).toBe(true);

    const actions = (await auditTrail(svc)).filter((e) => e.subject === `request:${id}`).map((e) => e.action);
    expect(actions.filter((a) => a === 'credential.pickup.burned')).toHaveLength(1);
    expect(actions.filter((a) => a === 'credential.handover.issued')).toHaveLength(3);
  }, 60_000);

  it('without PUBLIC_URL gives links under the address the service listens on, and answers a malformed code with 400', async () => {
    const other = await startTestService({
      redisUrl: inject('redisUrl'),
      directory: target,
      policy: { credentials: { handover: 'vendor', pickupHours: 24, mustChangeAtFirstLogon: false } },
    });
    try {
      const otherApi = apiClient(other.url);
      const { personId } = await vendorWithPerson(otherApi, other, 'Local Co');
      const id = await fileRequest(otherApi, other, personId, group);
      const active = await untilStatus(otherApi, other, id, 'active');
      const issued = await otherApi('POST', `/v1/requests/${id}/handover`, other.tokens.requester, {});
      expect(issued.body.pickupUrl.startsWith(`${other.url}/pickup/req_`)).toBe(true);
      const token = issued.body.pickupUrl.slice(`${other.url}/pickup/`.length) as string;
      const bad = await otherApi('POST', `/v1/pickup/${token}`, undefined, { code: '12ab' });
      expect([bad.status, bad.body.error.details[0].field]).toEqual([400, 'body.code']);
      expect((await otherApi('GET', `/v1/pickup/${token}`)).body.attemptsLeft).toBe(5);
      const picked = await otherApi('POST', `/v1/pickup/${token}`, undefined, { code: issued.body.code });
      expect(picked.body.mustChangeAtFirstLogon).toBe(false);
      // mustChangeAtFirstLogon false: the vendor's session is not restricted.
      const logon = await probe.firstLogon(target, active.account.dn, picked.body.password, `${picked.body.password}-2`);
      expect(logon.before).toBe('ok');

      // The public endpoints have a tighter limit of their own (20 a minute per address) on top of the global one (off here).
      const statuses: number[] = [];
      for (let i = 0; i < 22; i++) statuses.push((await otherApi('GET', `/v1/pickup/${token}`)).status);
      expect(statuses.slice(0, 18).every((s) => s === 200)).toBe(true);
      expect(statuses.at(-1)).toBe(429);
    } finally {
      await other.close();
    }
  }, 60_000);
});
