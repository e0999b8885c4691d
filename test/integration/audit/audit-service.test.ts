import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { AuditEvent } from '../../../src/audit/audit-event.js';
import { verifyJsonlFile } from '../../../src/audit/audit-verifier.js';
import { childDn } from '../../../src/provisioner/ldap/escape.js';
import { createLdapSubtree, type LdapSubtree } from '../../rig/ldap-subtree.js';
import { fileRequest, untilStatus, vendorWithPerson } from '../../support/fixtures.js';
import { findSecrets } from '../../support/find-secrets.js';
import { apiClient, slapdTarget, startTestService, type TestService } from '../../support/service-harness.js';

describe('the audit trail of a running service', () => {
  let subtree: LdapSubtree;
  let svc: TestService;
  let api: ReturnType<typeof apiClient>;
  let group: string;
  let password: string;

  beforeAll(async () => {
    subtree = await createLdapSubtree('audit');
    const slapd = inject('slapd');
    group = childDn('cn', 'erp-support', slapd.groupsOu);
    svc = await startTestService({
      redisUrl: inject('redisUrl'),
      directory: slapdTarget(slapd, subtree.dn),
      policy: { privilegedGroups: ['dba-team'] },
    });
    api = apiClient(svc.url);

    // A lifecycle with the security-relevant refusals along the way.
    const t = svc.tokens;
    expect((await api('GET', '/v1/audit', 'not-a-real-token-at-all')).status).toBe(401);
    expect((await api('GET', '/v1/audit', t.requester)).status).toBe(403);
    const { personId } = await vendorWithPerson(api, svc);
    const refused = await api('POST', '/v1/requests', t.requester, {
      personId,
      workDescription: 'x',
      targetSystems: ['db'],
      groups: [group],
      validFrom: new Date().toISOString(),
      validTo: new Date(Date.now() + 400 * 86_400_000).toISOString(),
    });
    expect(refused.status).toBe(422);
    const id = await fileRequest(api, svc, personId, group);
    await untilStatus(api, svc, id, 'active');
    const creds = await api<{ password: string }>('POST', `/v1/requests/${id}/credentials`, t.requester, {});
    expect(creds.status).toBe(200);
    password = creds.body.password;
    expect((await api('POST', `/v1/requests/${id}/revoke`, t.requester, { reason: 'work done' })).status).toBe(202);
    await untilStatus(api, svc, id, 'revoked');
  });
  afterAll(async () => {
    await svc?.close();
    await subtree?.cleanup();
  });

  it('records every security-relevant step, starting with the configuration', async () => {
    const events = (await api<{ items: AuditEvent[] }>('GET', '/v1/audit?limit=500', svc.tokens.auditor)).body.items;
    const actions = events.map((e) => e.action);
    expect(actions).toEqual(
      expect.arrayContaining([
        'service.started',
        'auth.failed',
        'auth.forbidden',
        'policy.refused',
        'vendor.created',
        'person.registered',
        'request.filed',
        'request.approved',
        'account.created',
        'credential.retrieved',
        'revocation.requested',
        'account.disabled',
        'request.revoked',
      ]),
    );
    const started = events.find((e) => e.action === 'service.started')!;
    expect(started.details).toMatchObject({ mode: 'all', audit: { file: join(svc.dir, 'audit.jsonl') } });
  });

  it('verifies, in Redis and in the mirror', async () => {
    await svc.auditMirror.sync();
    const r = await api<{ count: number }>('GET', '/v1/audit/verify?mirror=true', svc.tokens.auditor);
    expect(r.body).toMatchObject({ ok: true, head: { seq: expect.any(Number) }, mirror: { ok: true, behindBy: 0 } });
    expect(await verifyJsonlFile(join(svc.dir, 'audit.jsonl'))).toMatchObject({ ok: true, count: r.body.count });
  });

  it('exports a CSV download', async () => {
    const res = await fetch(`${svc.url}/v1/audit/export?format=csv`, { headers: { authorization: `Bearer ${svc.tokens.auditor}` } });
    expect(res.headers.get('content-disposition')).toMatch(/^attachment; filename="leasehold-audit-.*\.csv"$/);
    const text = Buffer.from(await res.arrayBuffer()).toString('utf8'); // res.text() would drop the BOM
    expect(text.split('\r\n')[0]).toBe('\uFEFFseq,at,actor,action,subject,outcome,details,prevHash,hash');
  });

  it('keeps the issued password and the bind password out of Redis and the mirror', async () => {
    await svc.auditMirror.sync();
    const found = await findSecrets({
      secrets: { issuedPassword: password, bindPassword: svc.config.ldapBindPassword },
      redis: { client: svc.redis, match: `${svc.prefix}:*` },
      files: [join(svc.dir, 'audit.jsonl')],
    });
    expect(found).toEqual([]);
    expect(await readFile(join(svc.dir, 'audit.jsonl'), 'utf8')).toContain('"action":"credential.retrieved"');
  });
});
