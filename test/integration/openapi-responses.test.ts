import { isDeepStrictEqual } from 'node:util';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { RouteSpec } from '../../src/api/route.js';
import { childDn } from '../../src/provisioner/ldap/escape.js';
import { routeTable } from '../../tools/openapi/export-openapi.js';
import { createLdapSubtree, type LdapSubtree } from '../rig/ldap-subtree.js';
import { fileRequest, untilStatus, vendorWithPerson } from '../support/fixtures.js';
import { apiClient, slapdTarget, startTestService, type ApiReply, type TestService } from '../support/service-harness.js';

interface Seen {
  method: string;
  path: string;
  reply: ApiReply;
}

/** The route answering `method path` (express-style `:param` patterns), if any. */
function routeOf(routes: RouteSpec[], method: string, path: string): RouteSpec | undefined {
  const bare = path.split('?')[0]!;
  return routes.find((r) => r.method === method.toLowerCase() && new RegExp(`^${r.path.replace(/:[A-Za-z]+/g, '[^/]+')}$`).test(bare));
}

/**
 * The response schemas in the OpenAPI document (from which the console's
 * client is typed) describe what the API really answers: a lifecycle through
 * every JSON endpoint, each success body checked against its route's schema —
 * nothing missing, nothing of the wrong type, no field the schema does not name.
 */
describe('documented response schemas', () => {
  let subtree: LdapSubtree;
  let svc: TestService;
  const seen: Seen[] = [];
  let call: ReturnType<typeof apiClient>;

  beforeAll(async () => {
    subtree = await createLdapSubtree('oas');
    svc = await startTestService({ redisUrl: inject('redisUrl'), directory: slapdTarget(inject('slapd'), subtree.dn) });
    const api = apiClient(svc.url);
    call = async (method, path, token, body) => {
      const reply = await api(method, path, token, body);
      seen.push({ method, path, reply });
      return reply;
    };
  });

  afterAll(async () => {
    await svc?.close();
    await subtree?.cleanup();
  });

  it('match every success body the API sends in a lifecycle', async () => {
    const t = svc.tokens;
    const s = inject('slapd');
    const group = childDn('cn', 'erp-support', s.groupsOu);
    await call('GET', '/healthz');
    await call('GET', '/readyz');
    const { vendorId, personId } = await vendorWithPerson(call, svc, 'Schema Co');
    await call('GET', '/v1/vendors?q=schema', t.requester);
    await call('GET', `/v1/vendors/${vendorId}`, t.requester);
    await call('GET', '/v1/people?q=chen', t.requester);
    await call('GET', '/v1/groups?q=erp', t.requester);
    const id = await fileRequest(call, svc, personId, group);
    await untilStatus(call, svc, id, 'active');
    await call('GET', `/v1/requests/${id}`, t.auditor);
    await call('GET', '/v1/requests?limit=5', t.auditor);
    await call('GET', `/v1/people/${personId}`, t.auditor);
    await call('POST', `/v1/requests/${id}/credentials`, t.requester, {});
    const account = (await call('GET', `/v1/requests/${id}`, t.auditor)).body.account.username as string;
    const at = new Date().toISOString();
    await call('POST', '/v1/session-events', t.logSource, {
      events: [
        { source: 'bastion-1', account, type: 'login', at, target: 'erp-app01', sourceIp: '10.0.0.7', sourceSessionId: 's1' },
        { source: 'bastion-1', account, type: 'command', at, target: 'erp-app01', sourceSessionId: 's1', detail: 'sudo -i' },
      ],
    });
    const sessions = await call('GET', `/v1/sessions?requestId=${id}`, t.auditor);
    const sessionId = sessions.body.items[0].id as string;
    await call('GET', `/v1/sessions/${sessionId}`, t.auditor);
    const review = await call('POST', `/v1/sessions/${sessionId}/review`, t.auditor, { verdict: 'escalate', note: 'sudo on the ERP host' });
    await call('GET', '/v1/incidents', t.auditor);
    await call('GET', `/v1/incidents/${review.body.incident.id}`, t.auditor);
    await call('PATCH', `/v1/incidents/${review.body.incident.id}`, t.auditor, { status: 'handling', handlingNote: 'asked the vendor' });
    await call('PATCH', `/v1/people/${personId}`, t.requester, { latinName: 'Chen Wei' });
    await call('GET', `/v1/people/${personId}/export`, t.auditor);
    await call('POST', `/v1/requests/${id}/revoke`, t.approver, { reason: 'done' });
    await untilStatus(call, svc, id, 'revoked');
    await call('GET', '/v1/revocations/overdue', t.approver);
    await call('GET', '/v1/sessions/overdue', t.auditor);
    await call('GET', `/v1/requests/${id}/evidence?format=json`, t.auditor);
    const period = `from=${encodeURIComponent(new Date(Date.now() - 86_400_000).toISOString())}&to=${encodeURIComponent(new Date(Date.now() + 86_400_000).toISOString())}`;
    await call('GET', `/v1/vendors/${vendorId}/evidence?format=json&${period}`, t.auditor);
    const other = await fileRequest(call, svc, personId, group, { approve: false });
    await call('POST', `/v1/requests/${other}/reject`, t.approver, { reason: 'not needed' });
    const third = await fileRequest(call, svc, personId, group, { approve: false });
    await call('POST', `/v1/requests/${third}/cancel`, t.requester, {});
    await call('GET', '/v1/audit?limit=5', t.auditor);
    await call('GET', '/v1/audit/verify?mirror=true', t.auditor);
    const token = await call('POST', '/v1/tokens', t.admin, { name: 'schema-check', roles: ['auditor'] });
    await call('GET', '/v1/tokens', t.admin);
    await call('POST', `/v1/tokens/${token.body.id}/rotate`, t.admin, {});
    await call('DELETE', `/v1/tokens/${token.body.id}`, t.admin);
    await call('GET', '/v1/auth/me', t.auditor);
    const visit = await call('POST', '/v1/room-visits', t.requester, {
      personId,
      room: 'B1',
      purpose: 'disk swap',
      escortedBy: 'ops-carol',
      requestId: id,
      media: [{ kind: 'usb', description: 'stick', serial: 'U1' }],
    });
    await call('GET', `/v1/room-visits/${visit.body.id}`, t.auditor);
    await call('POST', `/v1/room-visits/${visit.body.id}/exit`, t.requester, { mediaOut: [] });
    await call('GET', '/v1/room-visits?limit=5', t.auditor);
    await call('POST', '/v1/room-visits/reviews', t.approver, {
      from: new Date(Date.now() - 86_400_000).toISOString(),
      to: new Date(Date.now() - 1000).toISOString(),
      note: 'ok',
    });
    await call('GET', '/v1/room-visits/reviews', t.auditor);
    await call('POST', `/v1/people/${personId}/departure`, t.requester, { reason: 'left' });
    await call('POST', `/v1/vendors/${vendorId}/terminate`, t.approver, { reason: 'contract over' });

    const routes = routeTable();
    const problems: string[] = [];
    const checked = new Set<string>();
    for (const { method, path, reply } of seen) {
      const r = routeOf(routes, method, path);
      const response = r?.responses[reply.status];
      if (!r || reply.status >= 300) continue;
      if (!response?.schema) {
        problems.push(`${method} ${path}: ${reply.status} is not documented`);
        continue;
      }
      checked.add(`${r.method} ${r.path}`);
      const parsed = response.schema.safeParse(reply.body);
      if (!parsed.success) problems.push(`${method} ${path} ${reply.status}: ${parsed.error.message}`);
      else if (!isDeepStrictEqual(JSON.parse(JSON.stringify(parsed.data)), reply.body))
        problems.push(`${method} ${path} ${reply.status}: the body holds fields the schema does not name`);
    }
    expect(problems).toEqual([]);
    expect(checked.size).toBeGreaterThanOrEqual(30);
  });
});
