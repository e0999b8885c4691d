import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { makeTlsMaterial } from '../../tools/dev/tls-material.js';
import { childDn } from '../../src/provisioner/ldap/escape.js';
import { vendorWithPerson } from '../support/fixtures.js';
import { capturingLogger, type LogEntry } from '../support/log-capture.js';
import { apiClient, slapdTarget, startTestService, type DirectoryTarget, type TestService } from '../support/service-harness.js';
import { tcpRelay } from '../support/tcp-relay.js';

const DAY = 86_400_000;
const slapd = inject('slapd');

/** An API process on the run's slapd over `target`, logging into `entries`. */
async function apiOn(target: DirectoryTarget): Promise<{ svc: TestService; api: ReturnType<typeof apiClient>; entries: LogEntry[] }> {
  const { logger, entries } = capturingLogger();
  const svc = await startTestService({ redisUrl: inject('redisUrl'), directory: target, mode: 'api', logger });
  return { svc, api: apiClient(svc.url), entries };
}

function fileRequest(api: ReturnType<typeof apiClient>, svc: TestService, personId: string) {
  return api('POST', '/v1/requests', svc.tokens.requester, {
    personId,
    workDescription: 'maintenance',
    targetSystems: ['erp'],
    groups: [childDn('cn', 'erp-support', slapd.groupsOu)],
    validFrom: new Date().toISOString(),
    validTo: new Date(Date.now() + DAY).toISOString(),
  });
}

const errorsAbout = (entries: LogEntry[], text: string) => entries.filter((e) => e.level === 'error' && e.message.includes(text));

describe('a directory whose TLS certificate does not verify', () => {
  let tmp: string;
  let otherCa: string;
  beforeAll(async () => {
    tmp = await mkdtemp(join(tmpdir(), 'leasehold-other-ca-'));
    otherCa = (await makeTlsMaterial(tmp)).caPem;
  });
  afterAll(async () => {
    await rm(tmp, { recursive: true, force: true });
  });

  describe('signed by a CA other than LDAP_CA_FILE', () => {
    let svc: TestService;
    let api: ReturnType<typeof apiClient>;
    let entries: LogEntry[];
    beforeAll(async () => {
      ({ svc, api, entries } = await apiOn({ ...slapdTarget(slapd, slapd.vendorsOu), caPem: otherCa }));
    });
    afterAll(async () => {
      await svc?.close();
    });

    it('answers 503 to a call that needs the directory, saying what to fix', async () => {
      const { personId } = await vendorWithPerson(api, svc, 'Wrong CA Co');
      const filed = await fileRequest(api, svc, personId);
      expect(filed.status).toBe(503);
      expect(filed.body.error.code).toBe('directory_unavailable');
      expect(filed.body.error.message).toMatch(
        /certificate is not signed by a CA this service trusts \((UNABLE_TO_VERIFY_LEAF_SIGNATURE|SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_GET_ISSUER_CERT_LOCALLY)\)/,
      );
      expect(filed.body.error.details[0].message).toMatch(/set LDAP_CA_FILE to the CA that signed the directory's certificate/);
      // Nothing was filed.
      expect((await api('GET', `/v1/requests?personId=${personId}`, svc.tokens.auditor)).body.items).toHaveLength(0);
    });

    it('is not ready, and /readyz names the TLS cause and the fix', async () => {
      const ready = await api('GET', '/readyz');
      expect(ready.status).toBe(503);
      expect(ready.body.checks.redis).toBe('ok');
      expect(ready.body.checks.directory).toMatch(/^down: its TLS certificate is not signed by a CA this service trusts \(.+\); set LDAP_CA_FILE/);
    });

    it('logs one ERROR saying what to fix, however many calls meet the problem', async () => {
      const { personId } = await vendorWithPerson(api, svc, 'Wrong CA Again');
      for (let i = 0; i < 5; i++) {
        expect((await fileRequest(api, svc, personId)).status).toBe(503);
        expect((await api('GET', '/readyz')).status).toBe(503);
      }
      expect(errorsAbout(entries, 'LDAP_CA_FILE')).toHaveLength(1);
      expect(entries.filter((e) => e.level === 'error')).toHaveLength(1);
    });
  });

  describe('issued for another host name than LDAP_URL names', () => {
    let relay: Awaited<ReturnType<typeof tcpRelay>>;
    let svc: TestService;
    let api: ReturnType<typeof apiClient>;
    let entries: LogEntry[];
    beforeAll(async () => {
      // The rig's certificate names 127.0.0.1 and localhost; the same slapd reached as 127.0.0.2 is another host.
      const { port } = new URL(slapd.ldapsUrl);
      relay = await tcpRelay('127.0.0.2', { host: '127.0.0.1', port: Number(port) });
      ({ svc, api, entries } = await apiOn({ ...slapdTarget(slapd, slapd.vendorsOu), url: `ldaps://127.0.0.2:${relay.port}` }));
    });
    afterAll(async () => {
      await svc?.close();
      await relay?.close();
    });

    it('answers 503 and is not ready, naming the host name mismatch and the fix', async () => {
      const { personId } = await vendorWithPerson(api, svc, 'Wrong Name Co');
      const filed = await fileRequest(api, svc, personId);
      expect(filed.status).toBe(503);
      expect(filed.body.error.message).toMatch(/does not name the host in LDAP_URL \(ERR_TLS_CERT_ALTNAME_INVALID; the certificate names .*127\.0\.0\.1/);
      expect(filed.body.error.details[0].message).toMatch(/set LDAP_URL to a host name the directory's certificate names/);
      const ready = await api('GET', '/readyz');
      expect(ready.status).toBe(503);
      expect(ready.body.checks.directory).toMatch(/ERR_TLS_CERT_ALTNAME_INVALID.*set LDAP_URL/);
      expect(errorsAbout(entries, 'LDAP_URL')).toHaveLength(1);
    });
  });
});
