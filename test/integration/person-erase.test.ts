import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { Redis } from 'ioredis';
import winston from 'winston';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { childDn } from '../../src/provisioner/ldap/escape.js';
import { RedisKeys } from '../../src/store/redis-keys.js';
import { Transactor } from '../../src/store/transactor.js';
import { createLdapSubtree, type LdapSubtree } from '../rig/ldap-subtree.js';
import { findSecrets } from '../support/find-secrets.js';
import { auditTrail, fileRequest, untilStatus } from '../support/fixtures.js';
import { apiClient, slapdTarget, startTestService, type TestService } from '../support/service-harness.js';

const DAY = 86_400_000;

/** Clause 1.1.2: a person's name, e-mail and phone are erased on request once the rule allows, and nothing of them is left behind. */
describe('personal data erasure', () => {
  const s = inject('slapd');
  const group = childDn('cn', 'erp-support', s.groupsOu);
  const lines: string[] = [];
  const hooks: string[] = [];
  let hookServer: Server;
  let subtree: LdapSubtree;
  let svc: TestService;
  let api: ReturnType<typeof apiClient>;
  /** The service's clock runs this far ahead of the wall clock: how the test lets personDays pass. */
  let offsetMs = 0;

  beforeAll(async () => {
    hookServer = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        hooks.push(body);
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((r) => hookServer.listen(0, '127.0.0.1', r));
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        lines.push(chunk.toString());
        done();
      },
    });
    // Everything the service logs, at the most verbose level, in the production format.
    const logger = winston.createLogger({ level: 'silly', format: winston.format.json(), transports: [new winston.transports.Stream({ stream: sink })] });
    subtree = await createLdapSubtree('perase');
    svc = await startTestService({
      redisUrl: inject('redisUrl'),
      directory: slapdTarget(s, subtree.dn),
      logger,
      now: () => new Date(Date.now() + offsetMs),
      policy: {
        retention: { personDays: 1 },
        webhooks: [{ url: `http://127.0.0.1:${(hookServer.address() as AddressInfo).port}/hook`, secret: 'erase-test-secret-123' }],
      },
    });
    api = apiClient(svc.url);
  });
  afterAll(async () => {
    await svc?.close();
    await subtree?.cleanup();
    await new Promise((r) => hookServer?.close(r));
  });

  async function register(vendorName: string, person: { fullName: string; latinName?: string; email: string; phone?: string }) {
    const vendor = await api('POST', '/v1/vendors', svc.tokens.requester, {
      name: vendorName,
      contractRef: `CT-${vendorName}`,
      contractEndsAt: new Date(Date.now() + 90 * DAY).toISOString(),
    });
    expect(vendor.status, JSON.stringify(vendor.body)).toBe(201);
    const reply = await api('POST', `/v1/vendors/${vendor.body.id}/people`, svc.tokens.requester, {
      ...person,
      ndaSignedAt: new Date(Date.now() - DAY).toISOString(),
      ndaRef: 'NDA-2026-31',
    });
    expect(reply.status, JSON.stringify(reply.body)).toBe(201);
    return { vendorId: vendor.body.id as string, personId: reply.body.id as string };
  }

  const erase = (personId: string, token = svc.tokens.admin) => api('POST', `/v1/people/${personId}/erase`, token, {});

  it('refuses while a request is live and before personDays, then erases everywhere: Redis, directory, logs, audit mirror, webhooks', async () => {
    const personal = { fullName: '林美玲', latinName: 'Lin Mei-Ling', email: 'meiling.lin@erase.test', phone: '+886 2 2765 4321' };
    const { vendorId, personId } = await register('Erase Co', personal);
    const id = await fileRequest(api, svc, personId, group);
    const active = await untilStatus(api, svc, id, 'active');
    const dn = active.account.dn as string;
    expect(active.account.username).toBe('v-eraseco-lin-1');
    expect(await svc.directory.getAccount(dn)).not.toBeNull();

    expect((await erase(personId, svc.tokens.auditor)).status).toBe(403);
    expect((await erase(personId, svc.tokens.requester)).status).toBe(403);
    expect((await erase('per_nope')).status).toBe(404);
    const live = await erase(personId);
    expect(live.status, JSON.stringify(live.body)).toBe(409);
    expect(live.body.error.details).toEqual([expect.objectContaining({ rule: 'requests_ended', requests: [id], possibleAt: expect.any(String) })]);

    await api('POST', `/v1/requests/${id}/revoke`, svc.tokens.approver, { reason: `work done by ${personal.fullName}` });
    const revoked = await untilStatus(api, svc, id, 'revoked');
    const endedAt = (revoked.history as { to?: string; at: string }[]).find((h) => h.to === 'revoked')!.at;
    const early = await erase(personId);
    expect(early.status, JSON.stringify(early.body)).toBe(422);
    const possibleAt = new Date(Date.parse(endedAt) + DAY).toISOString();
    expect(early.body.error.details).toEqual([expect.objectContaining({ rule: 'retention_person_days', possibleAt, since: endedAt, personDays: 1 })]);
    expect(early.body.error.message).toContain(possibleAt);
    expect((await api('GET', `/v1/people/${personId}`, svc.tokens.auditor)).body.fullName).toBe(personal.fullName);
    // The revoked webhook went out while the name was still on file.
    await expect.poll(() => hooks.some((h) => h.includes(id)), { timeout: 15_000 }).toBe(true);

    offsetMs = DAY + 60_000;
    const erased = await erase(personId);
    expect(erased.status, JSON.stringify(erased.body)).toBe(200);
    for (const field of ['fullName', 'latinName', 'email', 'phone']) expect(erased.body).not.toHaveProperty(field);
    expect(erased.body).toMatchObject({ id: personId, vendorId, status: 'active', ndaRef: 'NDA-2026-31', erasedBy: 'admin', erasedAt: expect.any(String) });
    const again = await erase(personId);
    expect(again.status).toBe(200);
    expect(again.body).toEqual(erased.body);

    // The directory entry (cn, sn, displayName, mail) is gone from slapd itself.
    expect(await svc.directory.getAccount(dn)).toBeNull();
    expect((await api('GET', `/v1/requests/${id}`, svc.tokens.auditor)).body.account).toMatchObject({ username: 'v-eraseco-lin-1', state: 'deleted' });

    const exported = await api('GET', `/v1/people/${personId}/export`, svc.tokens.auditor);
    expect(exported.status).toBe(200);
    expect(exported.body.person).toEqual(erased.body);
    expect(exported.body.requests).toEqual([expect.objectContaining({ id, status: 'revoked', username: 'v-eraseco-lin-1' })]);
    const listed = (await api('GET', `/v1/vendors/${vendorId}`, svc.tokens.auditor)).body.people as Record<string, unknown>[];
    expect(listed).toEqual([erased.body]);
    expect((await api('PATCH', `/v1/people/${personId}`, svc.tokens.requester, { latinName: 'Lin' })).status).toBe(409);
    const refiled = await api('POST', '/v1/requests', svc.tokens.requester, {
      personId,
      workDescription: 'again',
      targetSystems: ['erp-app01'],
      groups: [group],
      validFrom: new Date(Date.now() + offsetMs).toISOString(),
      validTo: new Date(Date.now() + offsetMs + 3_600_000).toISOString(),
    });
    expect(refiled.status).toBe(422);
    expect((refiled.body.error.details as { rule: string }[]).map((d) => d.rule)).toContain('person_erased');

    const trail = await auditTrail(svc);
    const event = trail.find((e) => e.action === 'person.erased' && e.subject === `person:${personId}`)!;
    expect(event.details).toMatchObject({ fields: ['fullName', 'latinName', 'email', 'phone'], personDays: 1, since: endedAt, accountsDeleted: [id] });
    expect(trail.filter((e) => e.action === 'person.erased' && e.subject === `person:${personId}`)).toHaveLength(1);
    const verified = await api('GET', '/v1/audit/verify?mirror=true', svc.tokens.auditor);
    expect(verified.body, JSON.stringify(verified.body)).toMatchObject({ ok: true });

    await svc.auditMirror.sync();
    const values = { 'full name': personal.fullName, 'Latin name': personal.latinName, 'e-mail': personal.email, phone: personal.phone };
    const redis = new Redis(inject('redisUrl'));
    try {
      const findings = await findSecrets({ secrets: values, redis: { client: redis, match: `${svc.prefix}:*` }, files: [svc.config.env.AUDIT_LOG_FILE] });
      expect(findings).toEqual([]);
    } finally {
      redis.disconnect();
    }
    expect(readFileSync(svc.config.env.AUDIT_LOG_FILE, 'utf8')).toContain('"action":"person.erased"');
    const logText = lines.join('');
    expect(logText).toContain('account provisioned');
    expect(hooks.length).toBeGreaterThan(0);
    for (const [label, value] of Object.entries(values)) {
      expect(logText.includes(value), `${label} in a log line`).toBe(false);
      expect(
        hooks.some((h) => h.includes(value)),
        `${label} in a webhook payload`,
      ).toBe(false);
    }
  }, 60_000);

  it('keeps verifying an event written before this change that carried personal data, after the person is erased', async () => {
    const { personId } = await register('Legacy Co', { fullName: 'Old Style', email: 'old.style@erase.test' });
    // An event in the shape an older version wrote: the values themselves in the hashed body.
    const writer = new Redis(inject('redisUrl'));
    try {
      await new Transactor(writer, new RedisKeys(svc.prefix), () => new Date()).append({
        actor: 'requester',
        action: 'person.updated',
        subject: `person:${personId}`,
        outcome: 'success',
        details: { fullName: 'Old Style', email: 'old.style@erase.test' },
      });
    } finally {
      writer.disconnect();
    }
    offsetMs += DAY + 60_000;
    const erased = await erase(personId);
    expect(erased.status, JSON.stringify(erased.body)).toBe(200);
    expect(erased.body).not.toHaveProperty('fullName');

    const verified = await api('GET', '/v1/audit/verify', svc.tokens.auditor);
    expect(verified.body, JSON.stringify(verified.body)).toMatchObject({ ok: true });
    await svc.auditMirror.sync();
    const mirrored = await api('GET', '/v1/audit/verify?mirror=true', svc.tokens.auditor);
    expect(mirrored.body, JSON.stringify(mirrored.body)).toMatchObject({ ok: true });
    // The old body is untouched (rewriting it would break the chain): README, Personal data, says what an operator does about it.
    const old = (await auditTrail(svc)).find((e) => e.action === 'person.updated' && e.subject === `person:${personId}`)!;
    expect(old.details).toEqual({ fullName: 'Old Style', email: 'old.style@erase.test' });
    expect(JSON.stringify(await api('GET', `/v1/people/${personId}`, svc.tokens.auditor))).not.toContain('Old Style');
  }, 30_000);
});
