import { readFileSync } from 'node:fs';
import { Writable } from 'node:stream';
import winston from 'winston';
import { describe, expect, inject, it } from 'vitest';
import { childDn } from '../../src/provisioner/ldap/escape.js';
import { createLdapSubtree } from '../rig/ldap-subtree.js';
import { findSecrets } from '../support/find-secrets.js';
import { fileRequest, untilStatus, vendorWithPerson } from '../support/fixtures.js';
import { apiClient, startTestService, slapdTarget } from '../support/service-harness.js';

describe('secrets', () => {
  it('never appear in Redis, in any log line or in the audit mirror after full lifecycles', async () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        lines.push(chunk.toString());
        done();
      },
    });
    // Everything the service logs, at the most verbose level, in the production format.
    const logger = winston.createLogger({ level: 'silly', format: winston.format.json(), transports: [new winston.transports.Stream({ stream: sink })] });
    const subtree = await createLdapSubtree('secrets');
    const s = inject('slapd');
    const target = slapdTarget(s, subtree.dn);
    const svc = await startTestService({ redisUrl: inject('redisUrl'), directory: target, logger });
    const api = apiClient(svc.url);
    const group = childDn('cn', 'erp-support', s.groupsOu);
    const passwords: Record<string, string> = {};
    try {
      const { personId } = await vendorWithPerson(api, svc, 'Secretive Co');
      const expiring = await fileRequest(api, svc, personId, group, { validForMs: 4000 });
      const revoked = await fileRequest(api, svc, personId, group);
      const unfetched = await fileRequest(api, svc, personId, group);
      for (const id of [expiring, revoked, unfetched]) await untilStatus(api, svc, id, 'active');
      for (const id of [expiring, revoked])
        passwords[`issued ${id}`] = (await api('POST', `/v1/requests/${id}/credentials`, svc.tokens.requester, {})).body.password;
      await api('POST', `/v1/requests/${revoked}/credentials`, svc.tokens.requester, {}); // 410, audited
      await api('POST', `/v1/requests/${revoked}/revoke`, svc.tokens.approver, { reason: 'done' });
      await untilStatus(api, svc, revoked, 'revoked');
      await untilStatus(api, svc, expiring, 'expired');
      await api('POST', `/v1/requests/${unfetched}/revoke`, svc.tokens.approver, { reason: 'never used' });
      await untilStatus(api, svc, unfetched, 'revoked');
      // The unfetched password was destroyed with the access it belonged to.
      expect((await api('POST', `/v1/requests/${unfetched}/credentials`, svc.tokens.requester, {})).status).toBe(409);
      await svc.auditMirror.sync();
    } finally {
      await svc.close();
      await subtree.cleanup();
    }
    expect(Object.keys(passwords)).toHaveLength(2);
    const secrets = {
      ...passwords,
      'LDAP bind password': s.bindPassword,
      'credentials key': svc.config.credentialsKey.toString('base64'),
      ...Object.fromEntries(Object.entries(svc.tokens).map(([name, token]) => [`API token ${name}`, token])),
    };
    const { Redis } = await import('ioredis');
    const redis = new Redis(inject('redisUrl'));
    try {
      const findings = await findSecrets({ secrets, redis: { client: redis, match: `${svc.prefix}:*` }, files: [svc.config.env.AUDIT_LOG_FILE] });
      expect(findings).toEqual([]);
    } finally {
      redis.disconnect();
    }
    const logText = lines.join('');
    expect(logText).toContain('account provisioned');
    expect(logText).toContain('access revoked');
    for (const [label, secret] of Object.entries(secrets)) expect(logText.includes(secret), `${label} in a log line`).toBe(false);
    expect(readFileSync(svc.config.env.AUDIT_LOG_FILE, 'utf8')).toContain('"action":"credential.retrieved"');
  }, 60_000);
});
