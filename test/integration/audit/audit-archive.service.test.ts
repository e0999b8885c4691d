import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { AuditEvent } from '../../../src/audit/audit-event.js';
import { verifyJsonlFile } from '../../../src/audit/audit-verifier.js';
import { childDn } from '../../../src/provisioner/ldap/escape.js';
import { createLdapSubtree, type LdapSubtree } from '../../rig/ldap-subtree.js';
import { fileRequest, untilStatus, vendorWithPerson } from '../../support/fixtures.js';
import { apiClient, slapdTarget, startTestService, type TestService } from '../../support/service-harness.js';
import { runCli as cli } from '../../support/cli-run.js';

/** A running service with ARCHIVE_DIR: what auditors see does not change when the trail is sealed out of Redis. */
describe('a service whose audit trail is sealed into ARCHIVE_DIR', () => {
  let subtree: LdapSubtree;
  let svc: TestService;
  let api: ReturnType<typeof apiClient>;
  let archiveDir: string;
  let requestId: string;
  let beforeSealing: AuditEvent[];

  beforeAll(async () => {
    subtree = await createLdapSubtree('audit-archive');
    const slapd = inject('slapd');
    archiveDir = await mkdtemp(join(tmpdir(), 'leasehold-archive-'));
    svc = await startTestService({
      redisUrl: inject('redisUrl'),
      directory: slapdTarget(slapd, subtree.dn),
      policy: { audit: { segmentEvents: 10, archiveMinutes: 60 } },
      env: { ARCHIVE_DIR: archiveDir },
    });
    api = apiClient(svc.url);
    // Two vendors' requests: enough events for more than one segment of 10.
    const group = childDn('cn', 'erp-support', slapd.groupsOu);
    const other = await vendorWithPerson(api, svc, 'Beta Systems');
    const otherRequest = await fileRequest(api, svc, other.personId, group);
    const { personId } = await vendorWithPerson(api, svc);
    requestId = await fileRequest(api, svc, personId, group);
    await untilStatus(api, svc, otherRequest, 'active');
    await untilStatus(api, svc, requestId, 'active');
    beforeSealing = (await api<{ items: AuditEvent[] }>('GET', '/v1/audit?limit=500', svc.tokens.auditor)).body.items;
    const sealed = await cli(['archive'], {
      REDIS_URL: inject('redisUrl'),
      REDIS_PREFIX: svc.prefix,
      ARCHIVE_DIR: archiveDir,
      POLICY_FILE: join(svc.dir, 'policy.yaml'),
    });
    expect(sealed).toMatchObject({ code: 0, stdout: expect.stringMatching(/segment\(s\) sealed/) });
  });
  afterAll(async () => {
    await svc?.close();
    await subtree?.cleanup();
    await rm(archiveDir, { recursive: true, force: true });
  });

  it('records where the archive is in the start-up event', async () => {
    const started = (await api<{ items: AuditEvent[] }>('GET', '/v1/audit?action=service.started', svc.tokens.auditor)).body.items;
    expect(started.at(-1)!.details).toMatchObject({ archive: { dir: archiveDir, sessionBodies: 'file' } });
  });

  it('keeps only the live tail in Redis and the segments in ARCHIVE_DIR', async () => {
    const base = Number(await svc.redis.get(`${svc.prefix}:audit:base`));
    expect(base).toBeGreaterThanOrEqual(10);
    expect(await svc.redis.llen(`${svc.prefix}:audit:events`)).toBeLessThan(10 + 5);
    expect((await readdir(join(archiveDir, 'audit'))).filter((f) => f.endsWith('.jsonl'))).toHaveLength(base / 10);
  });

  it('answers queries, verification and evidence packs as before', async () => {
    const after = (await api<{ items: AuditEvent[] }>('GET', '/v1/audit?limit=500', svc.tokens.auditor)).body.items;
    // Every event listed before sealing is still listed, unchanged, plus the seal events.
    expect(after.filter((e) => e.action !== 'audit.segment_sealed' && e.seq <= beforeSealing[0]!.seq)).toEqual(beforeSealing);
    const verify = await api('GET', '/v1/audit/verify?mirror=true', svc.tokens.auditor);
    expect(verify.body).toMatchObject({ ok: true, archived: { throughSeq: expect.any(Number) }, mirror: { ok: true } });
    const pack = await api<{ proof: { verification: { ok: boolean; fromSeq: number }; events: { action: string }[] } }>(
      'GET',
      `/v1/requests/${requestId}/evidence?format=json`,
      svc.tokens.auditor,
    );
    expect(pack.status).toBe(200);
    expect(pack.body.proof.verification).toMatchObject({ ok: true });
    expect(pack.body.proof.verification.fromSeq).toBeLessThan(10);
    expect(pack.body.proof.events.map((e) => e.action)).toEqual(expect.arrayContaining(['request.filed', 'request.approved', 'account.created']));
  });

  it('keeps mirroring after sealing, and the whole chain verifies with the archive', async () => {
    expect((await api('POST', `/v1/requests/${requestId}/revoke`, svc.tokens.requester, { reason: 'work done' })).status).toBe(202);
    await untilStatus(api, svc, requestId, 'revoked');
    await svc.auditMirror.sync();
    const head = (JSON.parse((await svc.redis.get(`${svc.prefix}:audit:head`))!) as { seq: number }).seq;
    expect(await verifyJsonlFile(join(svc.dir, 'audit.jsonl'))).toMatchObject({ ok: true, count: head });
    expect(await cli(['audit', 'verify', '--archive', archiveDir], { REDIS_URL: inject('redisUrl'), REDIS_PREFIX: svc.prefix })).toMatchObject({
      code: 0,
      stdout: expect.stringMatching(new RegExp(`intact, ${head} events from seq 1`)),
    });
  });
});
