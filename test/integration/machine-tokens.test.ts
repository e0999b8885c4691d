import { Writable } from 'node:stream';
import winston from 'winston';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createLdapSubtree, type LdapSubtree } from '../rig/ldap-subtree.js';
import { findSecrets } from '../support/find-secrets.js';
import { auditTrail } from '../support/fixtures.js';
import { apiClient, slapdTarget, startTestService, type TestService } from '../support/service-harness.js';

/**
 * Machine tokens managed through the API (issue 11 item 2), against two API
 * processes on one Redis: what one process does to a token holds at once in
 * the other, with no restart and no cache to wait out.
 */
describe('machine tokens', () => {
  const lines: string[] = [];
  let subtree: LdapSubtree;
  let one: TestService;
  let two: TestService;
  let api1: ReturnType<typeof apiClient>;
  let api2: ReturnType<typeof apiClient>;
  const secrets: Record<string, string> = {};

  beforeAll(async () => {
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        lines.push(chunk.toString());
        done();
      },
    });
    // Everything both processes log, at the most verbose level, in the production format.
    const logger = winston.createLogger({ level: 'silly', format: winston.format.json(), transports: [new winston.transports.Stream({ stream: sink })] });
    subtree = await createLdapSubtree('tokens');
    const target = slapdTarget(inject('slapd'), subtree.dn);
    one = await startTestService({ redisUrl: inject('redisUrl'), directory: target, logger });
    two = await startTestService({ redisUrl: inject('redisUrl'), directory: target, logger, prefix: one.prefix, mode: 'api' });
    api1 = apiClient(one.url);
    api2 = apiClient(two.url);
  });

  afterAll(async () => {
    await two?.close();
    await one?.close();
    await subtree?.cleanup();
  });

  const create = async (name: string, roles: string[]) => {
    const r = await api1('POST', '/v1/tokens', one.tokens.admin, { name, roles });
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    secrets[`token ${name}`] = r.body.token;
    return r.body as { id: string; token: string; name: string; roles: string[] };
  };

  it('works at once in every API process; its secret is only in the answer to its creation', async () => {
    const made = await create('ci-exporter', ['auditor']);
    expect(made).toMatchObject({ name: 'ci-exporter', roles: ['auditor'], source: 'api', revocable: true, createdBy: 'admin' });
    expect(made.token).toMatch(/^lht_[A-Za-z0-9_-]{43}$/);
    expect((await api2('GET', '/v1/audit?limit=1', made.token)).status).toBe(200);
    expect((await api2('GET', '/v1/requests', made.token)).status).toBe(200);
    // Its roles hold like any token's: an auditor files nothing.
    expect(
      (await api1('POST', '/v1/vendors', made.token, { name: 'x', contractRef: 'y', contractEndsAt: new Date(Date.now() + 86_400_000).toISOString() })).status,
    ).toBe(403);

    const list = await api2('GET', '/v1/tokens', two.tokens.admin);
    expect(list.status).toBe(200);
    const listed = list.body.items.find((t: { id: string }) => t.id === made.id);
    expect(listed).toMatchObject({ name: 'ci-exporter', roles: ['auditor'], source: 'api', revocable: true, createdBy: 'admin' });
    expect(listed.lastUsedAt).toEqual(expect.any(String));
    expect(JSON.stringify(list.body)).not.toContain(made.token);
    expect(Object.keys(listed)).not.toContain('sha256');
    // The bootstrap tokens are listed, marked as not revocable here.
    expect(list.body.items).toContainEqual({
      id: 'file:admin',
      name: 'admin',
      roles: ['admin'],
      source: 'file',
      revocable: false,
      note: expect.stringContaining('cannot be rotated or revoked through the API'),
    });
  });

  it('rotates: the new secret works and the old one is refused at once, in the other process too', async () => {
    const made = await create('backup-job', ['auditor', 'automation']);
    expect((await api2('GET', '/v1/audit?limit=1', made.token)).status).toBe(200);
    const rotated = await api1('POST', `/v1/tokens/${made.id}/rotate`, one.tokens.admin, {});
    expect(rotated.status).toBe(200);
    secrets['token backup-job, rotated'] = rotated.body.token;
    expect(rotated.body).toMatchObject({ id: made.id, name: 'backup-job', rotatedBy: 'admin' });
    expect(rotated.body.token).not.toBe(made.token);
    expect((await api2('GET', '/v1/audit?limit=1', made.token)).status).toBe(401);
    expect((await api1('GET', '/v1/audit?limit=1', made.token)).status).toBe(401);
    expect((await api2('GET', '/v1/audit?limit=1', rotated.body.token)).status).toBe(200);
  });

  it('revokes: the secret is refused at once everywhere; bootstrap tokens cannot be revoked through the API', async () => {
    const made = await create('hr-feed', ['automation']);
    expect((await api1('GET', '/v1/revocations/overdue', made.token)).status).toBe(200);
    const revoked = await api2('DELETE', `/v1/tokens/${made.id}`, two.tokens.admin);
    expect(revoked.status).toBe(200);
    expect(revoked.body).toMatchObject({ id: made.id, name: 'hr-feed' });
    expect((await api1('GET', '/v1/revocations/overdue', made.token)).status).toBe(401);
    expect((await api2('GET', '/v1/revocations/overdue', made.token)).status).toBe(401);
    expect((await api1('DELETE', `/v1/tokens/${made.id}`, one.tokens.admin)).status).toBe(404);
    expect((await api1('POST', `/v1/tokens/${made.id}/rotate`, one.tokens.admin, {})).status).toBe(404);
    expect((await api1('GET', '/v1/tokens', one.tokens.admin)).body.items.map((t: { id: string }) => t.id)).not.toContain(made.id);
    // The name is free again once the token is gone.
    await create('hr-feed', ['automation']);

    const file = await api1('DELETE', '/v1/tokens/file:auditor', one.tokens.admin);
    expect(file.status).toBe(409);
    expect(file.body.error.details).toEqual([expect.objectContaining({ rule: 'file_token' })]);
    expect((await api1('GET', '/v1/audit?limit=1', one.tokens.auditor)).status).toBe(200);
  });

  it('is managed by admins only, under a unique name with known roles', async () => {
    for (const who of ['requester', 'approver', 'auditor', 'automation'] as const) {
      expect((await api1('GET', '/v1/tokens', one.tokens[who])).status).toBe(403);
      expect((await api1('POST', '/v1/tokens', one.tokens[who], { name: `x-${who}`, roles: ['admin'] })).status).toBe(403);
    }
    await create('dup-name', ['requester']);
    expect((await api1('POST', '/v1/tokens', one.tokens.admin, { name: 'DUP-name', roles: ['requester'] })).status).toBe(409);
    expect((await api1('POST', '/v1/tokens', one.tokens.admin, { name: 'approver', roles: ['requester'] })).status).toBe(409);
    const bad = await api1('POST', '/v1/tokens', one.tokens.admin, { name: 'has space', roles: ['root'] });
    expect(bad.status).toBe(400);
    expect(bad.body.error.details.map((d: { field: string }) => d.field).sort()).toEqual(['body.name', 'body.roles.0']);
    expect((await api1('POST', '/v1/tokens', one.tokens.admin, { name: 'no-roles', roles: [] })).status).toBe(400);
  });

  it('audits every change, and no secret reaches Redis, the logs or the audit mirror', async () => {
    const trail = (await auditTrail(one)).filter((e) => e.action.startsWith('token.'));
    expect(trail.map((e) => [e.action, e.details?.name])).toEqual(
      expect.arrayContaining([
        ['token.created', 'ci-exporter'],
        ['token.created', 'backup-job'],
        ['token.rotated', 'backup-job'],
        ['token.revoked', 'hr-feed'],
      ]),
    );
    expect(Object.keys(secrets).length).toBeGreaterThanOrEqual(5);
    await one.auditMirror.sync();
    const findings = await findSecrets({ secrets, redis: { client: one.redis, match: `${one.prefix}:*` }, files: [one.config.env.AUDIT_LOG_FILE] });
    expect(findings).toEqual([]);
    const logged = lines.join('\n');
    expect(
      Object.entries(secrets)
        .filter(([, secret]) => logged.includes(secret))
        .map(([label]) => label),
    ).toEqual([]);
  });
});
