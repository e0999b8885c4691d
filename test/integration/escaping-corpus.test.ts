import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { childDn } from '../../src/provisioner/ldap/escape.js';
import { createLdapSubtree, type LdapSubtree } from '../rig/ldap-subtree.js';
import { probe } from '../support/directory-probe.js';
import { untilStatus } from '../support/fixtures.js';
import { apiClient, startTestService, type DirectoryTarget, type TestService, slapdTarget } from '../support/service-harness.js';

/** Strings that would change a DN or a filter if they were ever concatenated unescaped. */
const CORPUS = [
  'Acme, Inc.',
  'O+M "Services"',
  'a\\b',
  '<script>',
  'x;y',
  'cn=admin',
  '*',
  '*)(uid=*))(|(uid=*',
  ')(objectClass=*',
  '#hash first',
  ' leading and trailing ',
  // NUL is refused at the API door (api-input.test.ts), so it never reaches a DN or a filter from there.
  '陳大文',
];

describe('DN and filter metacharacters in names and group DNs', () => {
  let subtree: LdapSubtree;
  let svc: TestService;
  let api: ReturnType<typeof apiClient>;
  let target: DirectoryTarget;
  const groupsOu = () => inject('slapd').groupsOu;

  beforeAll(async () => {
    subtree = await createLdapSubtree('corpus');
    const s = inject('slapd');
    target = slapdTarget(s, subtree.dn);
    svc = await startTestService({ redisUrl: inject('redisUrl'), directory: target });
    api = apiClient(svc.url);
  });
  afterAll(async () => {
    await svc?.close();
    await subtree?.cleanup();
  });

  it('provisions accounts for vendors and people with such names, storing the names intact', async () => {
    const ids: { id: string; vendor: string; person: string }[] = [];
    for (const [i, text] of CORPUS.entries()) {
      const vendorName = `${text} ${i}`.trim() || `v${i}`;
      const v = await api('POST', '/v1/vendors', svc.tokens.requester, {
        name: vendorName,
        contractRef: `C-${i}`,
        contractEndsAt: new Date(Date.now() + 86_400_000 * 60).toISOString(),
      });
      expect(v.status, JSON.stringify(v.body)).toBe(201);
      const personName = `${text} Person`;
      const p = await api('POST', `/v1/vendors/${v.body.id}/people`, svc.tokens.requester, {
        fullName: personName,
        email: `p${i}@corpus.test`,
        ndaSignedAt: new Date(Date.now() - 1000).toISOString(),
        ndaRef: `N-${i}`,
      });
      expect(p.status, JSON.stringify(p.body)).toBe(201);
      const r = await api('POST', '/v1/requests', svc.tokens.requester, {
        personId: p.body.id,
        workDescription: text,
        targetSystems: [text],
        groups: [childDn('cn', 'erp-support', groupsOu())],
        validFrom: new Date().toISOString(),
        validTo: new Date(Date.now() + 3_600_000).toISOString(),
      });
      expect(r.status, JSON.stringify(r.body)).toBe(201);
      expect((await api('POST', `/v1/requests/${r.body.id}/approve`, svc.tokens.approver, {})).status).toBe(200);
      ids.push({ id: r.body.id, vendor: v.body.name, person: p.body.fullName });
    }
    const dns = new Set<string>();
    for (const { id, vendor, person } of ids) {
      const r = await untilStatus(api, svc, id, 'active');
      expect(r.account.username).toMatch(/^[a-z0-9-]{3,20}$/);
      dns.add(r.account.dn.toLowerCase());
      const entry = await subtree.admin.search(r.account.dn, { scope: 'base', attributes: ['displayName'] });
      expect(entry[0]?.displayName).toBe(`${person} (${vendor})`);
    }
    expect(dns.size).toBe(CORPUS.length);
    expect(await probe.entriesUnder(target, subtree.dn)).toHaveLength(CORPUS.length);
  });

  it('treats group DNs with metacharacters as names that do not exist, never as syntax', async () => {
    const v = await api('POST', '/v1/vendors', svc.tokens.requester, {
      name: 'Groups Co',
      contractRef: 'G',
      contractEndsAt: new Date(Date.now() + 86_400_000 * 60).toISOString(),
    });
    const p = await api('POST', `/v1/vendors/${v.body.id}/people`, svc.tokens.requester, {
      fullName: 'G P',
      email: 'g@p.test',
      ndaSignedAt: new Date(Date.now() - 1000).toISOString(),
      ndaRef: 'N',
    });
    for (const text of CORPUS) {
      const group = `cn=${text}*,${groupsOu()}`;
      const r = await api('POST', '/v1/requests', svc.tokens.requester, {
        personId: p.body.id,
        workDescription: 'x',
        targetSystems: ['x'],
        groups: [group],
        validFrom: new Date().toISOString(),
        validTo: new Date(Date.now() + 3_600_000).toISOString(),
      });
      expect([400, 422], `${JSON.stringify(text)} → ${r.status} ${JSON.stringify(r.body)}`).toContain(r.status);
      if (r.status === 422) expect(r.body.error.details.map((d: { rule: string }) => d.rule)).toContain('group_exists');
    }
    // A wildcard in a group DN does not match the existing erp-support group.
    const wildcard = await api('POST', '/v1/requests', svc.tokens.requester, {
      personId: p.body.id,
      workDescription: 'x',
      targetSystems: ['x'],
      groups: [`cn=erp-*,${groupsOu()}`],
      validFrom: new Date().toISOString(),
      validTo: new Date(Date.now() + 3_600_000).toISOString(),
    });
    expect(wildcard.status).toBe(422);
  });
});
