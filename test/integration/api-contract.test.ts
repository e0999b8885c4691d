import { beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { childDn } from '../../src/provisioner/ldap/escape.js';
import type { LdapSubtree } from '../rig/ldap-subtree.js';
import { probe } from '../support/directory-probe.js';
import { fileRequest, untilStatus, vendorWithPerson } from '../support/fixtures.js';
import type { apiClient, DirectoryTarget, TestService } from '../support/service-harness.js';
import { useSlapdService } from '../support/slapd-service.js';

const DAY = 86_400_000;

describe('the HTTP API contract', () => {
  const f = useSlapdService('api', { maxValidityDays: 30, privilegedGroups: ['dba-team'] });
  const group = childDn('cn', 'erp-support', inject('slapd').groupsOu);
  let subtree: LdapSubtree;
  let svc: TestService;
  let api: ReturnType<typeof apiClient>;
  let target: DirectoryTarget;
  beforeAll(() => {
    ({ subtree, svc, api, target } = f);
  });

  it('answers 401 without a valid token and 403 for the wrong role', async () => {
    expect((await api('GET', '/v1/vendors')).status).toBe(401);
    expect((await api('GET', '/v1/vendors', 'not-a-real-token-at-all')).status).toBe(401);
    const forbidden = await api('POST', '/v1/vendors', svc.tokens.auditor, { name: 'x', contractRef: 'y', contractEndsAt: new Date().toISOString() });
    expect(forbidden.status).toBe(403);
    expect(forbidden.body.error.code).toBe('forbidden');
    expect((await api('POST', '/v1/vendors', svc.tokens.logSource, {})).status).toBe(403);
  });

  it('answers 400 for malformed JSON and names every bad field', async () => {
    const malformed = await api('POST', '/v1/vendors', svc.tokens.requester, '{"name": ');
    expect(malformed.status).toBe(400);
    expect(malformed.body.error.code).toBe('malformed_json');
    const bad = await api('POST', '/v1/vendors', svc.tokens.requester, { name: '', contractEndsAt: 'next tuesday', extra: 1 });
    expect(bad.status).toBe(400);
    const fields = (bad.body.error.details as { field: string }[]).map((d) => d.field);
    expect(fields).toEqual(expect.arrayContaining(['body.name', 'body.contractRef', 'body.contractEndsAt']));
    expect(bad.body.requestId).toBeTruthy();
  });

  it('answers 404 for unknown ids and for unknown endpoints', async () => {
    expect((await api('GET', '/v1/requests/req_nope', svc.tokens.auditor)).status).toBe(404);
    expect((await api('GET', '/v1/vendors/ven_nope', svc.tokens.auditor)).status).toBe(404);
    expect((await api('POST', '/v1/requests/req_nope/approve', svc.tokens.approver, {})).status).toBe(404);
    expect((await api('GET', '/v1/nothing', svc.tokens.admin)).status).toBe(404);
  });

  it('refuses a request that breaks policy with 422 naming each rule, and writes nothing to the directory', async () => {
    const { personId } = await vendorWithPerson(api, svc, 'Short Contract', new Date(Date.now() + 10 * DAY));
    const before = await probe.entriesUnder(target, subtree.dn);
    const refused = await api('POST', '/v1/requests', svc.tokens.requester, {
      personId,
      workDescription: 'x',
      targetSystems: ['erp'],
      groups: [
        childDn('cn', 'wheel', inject('slapd').groupsOu),
        childDn('cn', 'no-such-group', inject('slapd').groupsOu),
        childDn('cn', 'dba-team', inject('slapd').groupsOu),
      ],
      validFrom: new Date().toISOString(),
      validTo: new Date(Date.now() + 40 * DAY).toISOString(),
    });
    expect(refused.status).toBe(422);
    const rules = (refused.body.error.details as { rule: string }[]).map((d) => d.rule);
    expect(rules).toEqual(expect.arrayContaining(['max_validity_days', 'within_contract', 'group_exists', 'no_privileged_groups']));
    expect(rules.filter((r) => r === 'no_privileged_groups')).toHaveLength(2);
    const inverted = await api('POST', '/v1/requests', svc.tokens.requester, {
      personId,
      workDescription: 'x',
      targetSystems: ['erp'],
      groups: [group],
      validFrom: new Date(Date.now() + 2 * DAY).toISOString(),
      validTo: new Date(Date.now() + DAY).toISOString(),
    });
    expect(inverted.status).toBe(422);
    expect((inverted.body.error.details as { rule: string }[]).map((d) => d.rule)).toContain('valid_from_before_valid_to');
    expect(await probe.entriesUnder(target, subtree.dn)).toEqual(before);
    const list = await api('GET', `/v1/requests?personId=${personId}`, svc.tokens.auditor);
    expect(list.body.items).toHaveLength(0);
  });

  it('answers 409 for a wrong state: cancelling an active request, rejecting an approved one', async () => {
    const { personId } = await vendorWithPerson(api, svc, 'State Co');
    const id = await fileRequest(api, svc, personId, group);
    await untilStatus(api, svc, id, 'active');
    const cancel = await api('POST', `/v1/requests/${id}/cancel`, svc.tokens.requester, {});
    expect(cancel.status).toBe(409);
    expect(cancel.body.error.code).toBe('conflict');
    expect((await api('POST', `/v1/requests/${id}/reject`, svc.tokens.approver, { reason: 'late' })).status).toBe(409);
  });

  it('cancels a request approved for the future before any account exists', async () => {
    const { personId } = await vendorWithPerson(api, svc, 'Future Co');
    const id = await fileRequest(api, svc, personId, group, { validFrom: new Date(Date.now() + DAY) });
    const cancelled = await api('POST', `/v1/requests/${id}/cancel`, svc.tokens.requester, {});
    expect(cancelled.status).toBe(200);
    expect(cancelled.body.status).toBe('cancelled');
    expect(cancelled.body.account).toBeNull();
  });

  it('pages through lists with cursors, newest first, without repeats', async () => {
    const names = ['P1', 'P2', 'P3', 'P4', 'P5'];
    for (const name of names)
      await api('POST', '/v1/vendors', svc.tokens.requester, { name, contractRef: name, contractEndsAt: new Date(Date.now() + DAY).toISOString() });
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: { body: { items: { name: string }[]; nextCursor: string | null } } = await api(
        'GET',
        `/v1/vendors?limit=2${cursor ? `&cursor=${cursor}` : ''}`,
        svc.tokens.auditor,
      );
      seen.push(...page.body.items.map((v) => v.name));
      cursor = page.body.nextCursor;
    } while (cursor);
    expect(seen.filter((n) => names.includes(n))).toEqual([...names].reverse());
    expect(new Set(seen).size).toBe(seen.length);
    expect((await api('GET', '/v1/vendors?cursor=garbage', svc.tokens.auditor)).status).toBe(400);
    expect((await api('GET', '/v1/requests?status=bogus', svc.tokens.auditor)).status).toBe(400);
  });

  it('serves health, readiness and an OpenAPI 3.1 document of every endpoint', async () => {
    expect((await api('GET', '/healthz')).status).toBe(200);
    const ready = await api('GET', '/readyz');
    expect(ready.status).toBe(200);
    expect(ready.body.checks).toEqual({ redis: 'ok', directory: 'ok' });
    const doc = await api('GET', '/openapi.json');
    expect(doc.body.openapi).toBe('3.1.0');
    for (const path of [
      '/v1/vendors',
      '/v1/vendors/{id}/people',
      '/v1/people/{id}/departure',
      '/v1/requests',
      '/v1/requests/{id}/approve',
      '/v1/requests/{id}/credentials',
    ])
      expect(Object.keys(doc.body.paths)).toContain(path);
    const schema = doc.body.paths['/v1/requests'].post.requestBody.content['application/json'].schema;
    expect(schema.required).toEqual(expect.arrayContaining(['personId', 'groups', 'validFrom', 'validTo']));
  });
});
