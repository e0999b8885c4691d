import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { apiClient, startTestService, type TestService } from '../../support/service-harness.js';
import { fakeDirectory, NO_DIRECTORY, seedRequest, type SeededRequest } from '../../support/session-fixtures.js';

const MIN = 60_000;

describe('HTTP ingest of session events', () => {
  let svc: TestService;
  let api: ReturnType<typeof apiClient>;
  let seeded: SeededRequest;
  const t0 = Date.now() - 30 * MIN;
  const at = (m: number) => new Date(t0 + m * MIN).toISOString();
  const batch = () => [
    { source: 'bastion-1', account: 'v-acme-lin-1', type: 'login', at: at(0), target: 'erp-db01', sourceIp: '10.20.0.7', sourceSessionId: 'a81f' },
    {
      source: 'bastion-1',
      account: 'v-acme-lin-1',
      type: 'command',
      at: at(1),
      target: 'erp-db01',
      sourceIp: '10.20.0.7',
      sourceSessionId: 'a81f',
      detail: 'tail -f /var/log/erp.log',
    },
    { source: 'bastion-1', account: 'v-acme-lin-1', type: 'logout', at: at(2), target: 'erp-db01', sourceSessionId: 'a81f' },
    { source: 'bastion-1', account: 'mallory', type: 'login', at: at(3), target: 'erp-db01', sourceIp: '198.51.100.4', sourceSessionId: 'zz01' },
  ];

  beforeAll(async () => {
    const redisUrl = inject('redisUrl');
    svc = await startTestService({ redisUrl, directory: NO_DIRECTORY, fakeDirectory: fakeDirectory(), mode: 'api' });
    api = apiClient(svc.url);
    seeded = await seedRequest(redisUrl, svc.prefix, {
      username: 'v-acme-lin-1',
      targetSystems: ['erp-db01'],
      validFrom: new Date(t0 - 60 * MIN),
      validTo: new Date(t0 + 600 * MIN),
    });
  });
  afterAll(async () => {
    await svc?.close();
  });

  it('answers 202 once stored, and a retried batch stores nothing twice', async () => {
    const first = await api('POST', '/v1/session-events', svc.tokens.logSource, { events: batch() });
    expect(first.status, JSON.stringify(first.body)).toBe(202);
    expect(first.body).toEqual({ accepted: 4, duplicates: 0 });
    const retry = await api('POST', '/v1/session-events', svc.tokens.logSource, { events: batch() });
    expect(retry.body).toEqual({ accepted: 4, duplicates: 4 });

    const list = await api('GET', `/v1/sessions?requestId=${seeded.requestId}`, svc.tokens.auditor);
    expect(list.status).toBe(200);
    expect(list.body.items).toHaveLength(1);
    expect(list.body.items[0]).toMatchObject({
      account: 'v-acme-lin-1',
      requestId: seeded.requestId,
      personId: seeded.personId,
      vendorId: seeded.vendorId,
      eventCount: 3,
      flagged: false,
      reviewed: false,
    });
    const one = await api('GET', `/v1/sessions/${list.body.items[0].id}`, svc.tokens.auditor);
    expect(one.body.events.map((e: { type: string }) => e.type)).toEqual(['login', 'command', 'logout']);
  });

  it('keeps events of unknown accounts, flags them, and lists flagged sessions first', async () => {
    const all = await api('GET', '/v1/sessions', svc.tokens.auditor);
    expect(all.body.items.map((s: { account: string }) => s.account)).toEqual(['mallory', 'v-acme-lin-1']);
    expect(all.body.items[0].flags.map((f: { code: string }) => f.code)).toEqual(['unknown_account']);
    const flagged = await api('GET', '/v1/sessions?flagged=true', svc.tokens.auditor);
    expect(flagged.body.items.map((s: { account: string }) => s.account)).toEqual(['mallory']);
    const byAccount = await api('GET', '/v1/sessions?account=V-ACME-LIN-1&flagged=false', svc.tokens.auditor);
    expect(byAccount.body.items).toHaveLength(1);
  });

  it('audits one event per batch, not one per session event', async () => {
    const audit = await api('GET', '/v1/audit?action=sessions.ingested', svc.tokens.auditor);
    expect(audit.body.items).toHaveLength(2);
    expect(audit.body.items.map((e: { details: { stored: number } }) => e.details.stored).sort()).toEqual([0, 4]);
    const flagged = await api('GET', '/v1/audit?action=sessions.flagged', svc.tokens.auditor);
    expect(flagged.body.items).toHaveLength(1);
  });

  it('answers 400 naming the index and field of each bad event, and stores none of the batch', async () => {
    const events = [...batch(), { ...batch()[0], at: 'last tuesday' }, { ...batch()[0], type: 'teleport', account: '' }];
    const bad = await api('POST', '/v1/session-events', svc.tokens.logSource, { events });
    expect(bad.status).toBe(400);
    const fields = bad.body.error.details.map((d: { field: string }) => d.field);
    expect(fields).toEqual(expect.arrayContaining(['events[4].at', 'events[5].type', 'events[5].account']));
    expect((await api('POST', '/v1/session-events', svc.tokens.logSource, { nope: [] })).status).toBe(400);
  });

  it('answers 413 for more than 1,000 events', async () => {
    const events = Array.from({ length: 1001 }, (_, i) => ({ ...batch()[1], detail: `cmd ${i}` }));
    const big = await api('POST', '/v1/session-events', svc.tokens.logSource, { events });
    expect(big.status).toBe(413);
  });

  it('lets only log sources (and admins) send, and only auditors read', async () => {
    expect((await api('POST', '/v1/session-events', svc.tokens.auditor, { events: [] })).status).toBe(403);
    expect((await api('POST', '/v1/session-events', svc.tokens.requester, { events: [] })).status).toBe(403);
    expect((await api('POST', '/v1/session-events', svc.tokens.admin, { events: [] })).status).toBe(202);
    expect((await api('GET', '/v1/sessions', svc.tokens.logSource)).status).toBe(403);
    expect((await api('POST', '/v1/session-events', undefined, { events: [] })).status).toBe(401);
  });

  it('documents the endpoints in the OpenAPI document with the event schema', async () => {
    const doc = await api('GET', '/openapi.json');
    const post = doc.body.paths['/v1/session-events'].post;
    expect(post['x-roles']).toEqual(['log-source', 'admin']);
    expect(post.requestBody.content['application/json'].schema.properties.events.items.properties.type.enum).toContain('failed_login');
    expect(doc.body.paths['/v1/sessions/{id}/review']).toBeDefined();
    expect(doc.body.paths['/v1/incidents/{id}'].patch).toBeDefined();
  });
});
