import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startApiOnly } from '../support/api-probes.js';
import { apiClient, type ApiReply, type TestService } from '../support/service-harness.js';

interface Detail {
  field?: string;
  rule?: string;
  message: string;
}

const fields = (reply: ApiReply): string[] => (reply.body.error.details as Detail[]).map((d) => d.field ?? '');

describe('input sanity, for every route', () => {
  let svc: TestService;
  let api: ReturnType<typeof apiClient>;
  const vendor = (over: Record<string, unknown> = {}) => ({ name: 'Acme', contractRef: 'C-1', contractEndsAt: '2030-01-01T00:00:00+08:00', ...over });
  beforeAll(async () => {
    svc = await startApiOnly(inject('redisUrl'));
    api = apiClient(svc.url);
  });
  afterAll(async () => {
    await svc?.close();
  });

  it('refuses NUL characters in any text field of a body, naming the field', async () => {
    const nul = await api('POST', '/v1/vendors', svc.tokens.requester, vendor({ name: 'Ac\u0000me' }));
    expect(nul.status).toBe(400);
    expect(nul.body.error.details).toEqual([{ field: 'body.name', rule: 'text', message: 'must not contain NUL characters' }]);
    const inArray = await api('POST', '/v1/requests', svc.tokens.requester, {
      personId: 'per_x',
      workDescription: 'x',
      targetSystems: ['erp', 'e\u0000rp'],
      groups: ['cn=a,dc=x'],
      validFrom: '2030-01-01T00:00:00Z',
      validTo: '2030-01-02T00:00:00Z',
    });
    expect(inArray.status).toBe(400);
    expect(fields(inArray)).toEqual(['body.targetSystems.1']);
    // A member name is checked too, and not echoed back.
    const inName = await api('POST', '/v1/vendors', svc.tokens.requester, { ...vendor(), 'na\u0000me': 'x' });
    expect(inName.status).toBe(400);
    expect(JSON.stringify(inName.body)).not.toContain('\\u0000');
    // Also where the route's own schema would pass any text through (session events keep unknown text as it is).
    const event = { source: 'bastion-1', account: 'v-acme-chen-1', type: 'command', at: '2026-11-25T09:14:03+08:00', detail: 'sudo -i\u0000' };
    const batch = await api('POST', '/v1/session-events', svc.tokens.logSource, { events: [event] });
    expect(batch.status).toBe(400);
    expect(fields(batch)).toEqual(['body.events.0.detail']);
  });

  it('refuses unpaired UTF-16 surrogates, and accepts paired ones', async () => {
    for (const lone of ['\\ud800', '\\udc00', 'x\\ud83dy']) {
      const reply = await api(
        'POST',
        '/v1/vendors',
        svc.tokens.requester,
        `{"name":"Acme ${lone}","contractRef":"C-1","contractEndsAt":"2030-01-01T00:00:00Z"}`,
      );
      expect(reply.status).toBe(400);
      expect(reply.body.error.details).toEqual([{ field: 'body.name', rule: 'text', message: 'must not contain unpaired UTF-16 surrogates' }]);
    }
    const paired = await api('POST', '/v1/vendors', svc.tokens.requester, vendor({ name: 'Acme \ud83d\ude80' }));
    expect(paired.status).toBe(201);
  });

  it('refuses NUL in the query string, naming the parameter', async () => {
    const reply = await api('GET', '/v1/vendors?cursor=ab%00cd', svc.tokens.auditor);
    expect(reply.status).toBe(400);
    expect(fields(reply)).toEqual(['query.cursor']);
  });

  it('refuses dates outside 1970–2200 and offsets beyond ±14:00', async () => {
    for (const at of ['1969-12-31T23:59:59Z', '1970-01-01T00:30:00+01:00', '2201-01-01T00:00:00Z', '2030-01-01T00:00:00+14:01', '2030-01-01T00:00:00-15:00']) {
      const reply = await api('POST', '/v1/vendors', svc.tokens.requester, vendor({ contractEndsAt: at }));
      expect(reply.status, at).toBe(400);
      expect(fields(reply), at).toEqual(['body.contractEndsAt']);
    }
    for (const at of ['2030-01-01T00:00:00+14:00', '2030-01-01T00:00:00-12:00', '2200-12-31T23:59:59Z'])
      expect((await api('POST', '/v1/vendors', svc.tokens.requester, vendor({ contractEndsAt: at }))).status, at).toBe(201);
    const query = await api('GET', '/v1/audit?since=1960-01-01T00:00:00Z', svc.tokens.auditor);
    expect(query.status).toBe(400);
    expect(fields(query)).toEqual(['query.since']);
  });

  it('refuses unknown query parameters by name, on routes with and without a query', async () => {
    const listed = await api('GET', '/v1/vendors?limit=2&colour=red&sort=name', svc.tokens.auditor);
    expect(listed.status).toBe(400);
    expect(fields(listed)).toEqual(['query.colour', 'query.sort']);
    expect(listed.body.error.details[0].message).toBe('unknown query parameter "colour"');
    const one = await api('GET', '/v1/vendors/ven_nope?expand=people', svc.tokens.auditor);
    expect(one.status).toBe(400);
    expect(fields(one)).toEqual(['query.expand']);
    expect((await api('GET', '/v1/revocations/overdue?all=1', svc.tokens.auditor)).status).toBe(400);
    expect((await api('GET', '/v1/vendors?limit=2', svc.tokens.auditor)).status).toBe(200);
  });

  it('accepts the bearer scheme in any case', async () => {
    for (const scheme of ['Bearer', 'bearer', 'BEARER', 'bEaReR']) {
      const res = await fetch(`${svc.url}/v1/vendors`, { headers: { authorization: `${scheme} ${svc.tokens.auditor}` } });
      expect(res.status, scheme).toBe(200);
    }
    expect((await fetch(`${svc.url}/v1/vendors`, { headers: { authorization: `Basic ${svc.tokens.auditor}` } })).status).toBe(401);
  });

  it('lists at most 20 details in an error and says how many more there were', async () => {
    const extra = Object.fromEntries(Array.from({ length: 30 }, (_, i) => [`extra${i}`, i]));
    const reply = await api('POST', '/v1/vendors', svc.tokens.requester, { ...vendor(), ...extra });
    expect(reply.status).toBe(400);
    expect(reply.body.error.details).toHaveLength(20);
    expect(reply.body.error.detailsOmitted).toBe(10);
    const few = await api('POST', '/v1/vendors', svc.tokens.requester, { ...vendor(), extra: 1 });
    expect(few.body.error.details).toHaveLength(1);
    expect(few.body.error).not.toHaveProperty('detailsOmitted');
  });
});
