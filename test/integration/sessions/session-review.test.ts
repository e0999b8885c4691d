import { hostname } from 'node:os';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { apiClient, eventually, startTestService, type TestService } from '../../support/service-harness.js';
import { endRequest, fakeDirectory, NO_DIRECTORY, seedRequest, type SeededRequest } from '../../support/session-fixtures.js';
import { sendWithLogger } from '../../support/syslog-sender.js';

const MIN = 60_000;
const DAY = 24 * 60 * MIN;
type Session = { id: string; sourceSessionId?: string; source: string; flags: { code: string }[]; reviewed: boolean };

describe('session logs from bastion and syslog, reviewed and signed off (issue 6, done when)', () => {
  let svc: TestService;
  let api: ReturnType<typeof apiClient>;
  let redisUrl: string;
  let chen: SeededRequest;
  const host = hostname();
  const t0 = Date.now() - 20 * MIN;
  const at = (m: number) => new Date(t0 + m * MIN).toISOString();
  const sessions = async (query: string) => (await api('GET', `/v1/sessions?${query}`, svc.tokens.auditor)).body.items as Session[];
  const codes = (s: Session) => s.flags.map((f) => f.code).sort();

  beforeAll(async () => {
    redisUrl = inject('redisUrl');
    svc = await startTestService({ redisUrl, directory: NO_DIRECTORY, fakeDirectory: fakeDirectory(), mode: 'api', env: { SYSLOG_PORT: '0' } }); // reviewDueDays: 7 (default)
    api = apiClient(svc.url);
    chen = await seedRequest(redisUrl, svc.prefix, {
      username: 'v-acme-chen-1',
      targetSystems: ['erp-db01', host],
      validFrom: new Date(t0 - 60 * MIN),
      validTo: new Date(t0 + 600 * MIN),
    });
  });
  afterAll(async () => {
    await svc?.close();
  });

  it('shows a bastion batch and logger-sent sshd and sudo lines as sessions of the vendor account, flagged', async () => {
    const bastion = (type: string, m: number, sid: string, target: string, detail?: string) => ({
      source: 'bastion-1',
      account: 'v-acme-chen-1',
      type,
      at: at(m),
      target,
      sourceIp: '10.20.0.7',
      sourceSessionId: sid,
      ...(detail ? { detail } : {}),
    });
    const sent = await api('POST', '/v1/session-events', svc.tokens.logSource, {
      events: [
        bastion('login', 0, 'a81f', 'erp-db01'),
        bastion('command', 1, 'a81f', 'erp-db01', 'sudo -i'),
        bastion('logout', 2, 'a81f', 'erp-db01'),
        bastion('login', 5, 'b77', 'hr-db02'),
        bastion('logout', 6, 'b77', 'hr-db02'),
      ],
    });
    expect(sent.status).toBe(202);
    const port = svc.syslogPort!;
    await sendWithLogger(
      port,
      { transport: 'tcp', format: 'rfc5424', tag: 'sshd', pid: 4242 },
      'Accepted publickey for v-acme-chen-1 from 10.20.0.7 port 50022 ssh2: ED25519 SHA256:abc',
    );
    await sendWithLogger(
      port,
      { transport: 'udp', format: 'rfc3164', tag: 'sudo' },
      'v-acme-chen-1 : TTY=pts/0 ; PWD=/srv/erp ; USER=root ; COMMAND=/usr/bin/systemctl restart erp',
    );
    await sendWithLogger(port, { transport: 'tcp', format: 'rfc3164', tag: 'sshd', pid: 4242 }, 'Disconnected from user v-acme-chen-1 10.20.0.7 port 50022');

    const all = await eventually(async () => {
      const list = await sessions(`requestId=${chen.requestId}`);
      return list.length === 3 && list.every((s) => s.flags.length > 0) ? list : undefined;
    });
    const bySid = Object.fromEntries(all.map((s) => [s.sourceSessionId, s]));
    expect(codes(bySid.a81f)).toEqual(['privileged_command']);
    expect(codes(bySid.b77)).toEqual(['target_not_approved']);
    expect(codes(bySid['4242'])).toEqual(['privileged_command']);
    expect(bySid['4242']!.source.toLowerCase()).toBe(host.toLowerCase());
  });

  it('lets an auditor review them; escalation opens an incident; the last review of the ended request closes it', async () => {
    const list = await sessions(`requestId=${chen.requestId}`);
    const bySid = Object.fromEntries(list.map((s) => [s.sourceSessionId, s]));

    const first = await api('POST', `/v1/sessions/${bySid.a81f!.id}/review`, svc.tokens.auditor, {
      verdict: 'ok',
      note: 'sudo -i was part of the approved patching',
    });
    expect(first.status, JSON.stringify(first.body)).toBe(200);
    expect(first.body.requestClosed).toBeNull();
    expect((await api('POST', `/v1/sessions/${bySid.a81f!.id}/review`, svc.tokens.auditor, { verdict: 'ok' })).status).toBe(409);
    expect((await api('POST', `/v1/sessions/${bySid.b77!.id}/review`, svc.tokens.auditor, { verdict: 'escalate' })).status).toBe(400);
    expect((await api('POST', `/v1/sessions/${bySid.b77!.id}/review`, svc.tokens.logSource, { verdict: 'ok' })).status).toBe(403);

    await endRequest(redisUrl, svc.prefix, chen.requestId, 'revoked');
    const escalated = await api('POST', `/v1/sessions/${bySid.b77!.id}/review`, svc.tokens.auditor, {
      verdict: 'escalate',
      note: 'logged in to hr-db02, which was not approved',
    });
    expect(escalated.body.incident).toMatchObject({ sessionId: bySid.b77!.id, status: 'open', requestId: chen.requestId, flags: ['target_not_approved'] });
    expect(escalated.body.requestClosed).toBeNull();
    expect((await api('GET', `/v1/requests/${chen.requestId}`, svc.tokens.auditor)).body.status).toBe('revoked');

    const last = await api('POST', `/v1/sessions/${bySid['4242']!.id}/review`, svc.tokens.auditor, { verdict: 'ok' });
    expect(last.body.requestClosed).toBe(chen.requestId);
    const closed = await api('GET', `/v1/requests/${chen.requestId}`, svc.tokens.auditor);
    expect(closed.body.status).toBe('closed');
    expect(await sessions(`requestId=${chen.requestId}&reviewed=false`)).toEqual([]);

    const audit = await api('GET', `/v1/audit?subject=request:${chen.requestId}&action=request.closed`, svc.tokens.auditor);
    expect(audit.body.items).toHaveLength(1);
    expect((await api('GET', '/v1/audit?action=session.reviewed', svc.tokens.auditor)).body.items).toHaveLength(3);
    expect((await api('GET', '/v1/audit?action=incident.opened', svc.tokens.auditor)).body.items).toHaveLength(1);
  });

  it('records the handling of an incident; resolving needs a handling note', async () => {
    const [incident] = (await api('GET', '/v1/incidents?status=open', svc.tokens.auditor)).body.items;
    expect(incident).toBeDefined();
    expect((await api('PATCH', `/v1/incidents/${incident.id}`, svc.tokens.auditor, { status: 'resolved' })).status).toBe(422);
    expect((await api('PATCH', `/v1/incidents/${incident.id}`, svc.tokens.auditor, {})).status).toBe(400);
    const handling = await api('PATCH', `/v1/incidents/${incident.id}`, svc.tokens.auditor, {
      status: 'handling',
      handlingNote: 'vendor asked; wrong host in their runbook',
    });
    expect(handling.body.status).toBe('handling');
    const resolved = await api('PATCH', `/v1/incidents/${incident.id}`, svc.tokens.auditor, { status: 'resolved' });
    expect(resolved.status).toBe(200);
    const got = await api('GET', `/v1/incidents/${incident.id}`, svc.tokens.auditor);
    expect(got.body).toMatchObject({ status: 'resolved', handlingNote: 'vendor asked; wrong host in their runbook' });
    expect(got.body.history.map((h: { status: string }) => h.status)).toEqual(['open', 'handling', 'resolved']);
    expect((await api('GET', '/v1/incidents?status=open', svc.tokens.auditor)).body.items).toEqual([]);
    expect((await api('GET', '/v1/incidents?status=resolved', svc.tokens.auditor)).body.items).toHaveLength(1);
  });

  it('closes an ended request without sessions only by an explicit sign-off, and refuses while sessions await review', async () => {
    const quiet = await seedRequest(redisUrl, svc.prefix, {
      username: 'v-acme-quiet-1',
      targetSystems: ['erp-db01'],
      validFrom: new Date(t0 - DAY),
      validTo: new Date(t0 - 60 * MIN),
      status: 'expired',
      disabledAt: new Date(t0 - 60 * MIN),
    });
    const signed = await api('POST', `/v1/requests/${quiet.requestId}/sign-off`, svc.tokens.auditor, { note: 'no sessions expected: work was cancelled' });
    expect(signed.status, JSON.stringify(signed.body)).toBe(200);
    expect(signed.body.status).toBe('closed');
    expect((await api('POST', `/v1/requests/${quiet.requestId}/sign-off`, svc.tokens.auditor, {})).status).toBe(409);

    const busy = await seedRequest(redisUrl, svc.prefix, {
      username: 'v-acme-busy-1',
      targetSystems: ['erp-db01'],
      validFrom: new Date(t0 - DAY),
      validTo: new Date(t0 + DAY),
    });
    await api('POST', '/v1/session-events', svc.tokens.logSource, {
      events: [{ source: 'bastion-1', account: 'v-acme-busy-1', type: 'login', at: at(0), sourceSessionId: 'q1' }],
    });
    expect((await api('POST', `/v1/requests/${busy.requestId}/sign-off`, svc.tokens.auditor, {})).status).toBe(409); // still active
    await endRequest(redisUrl, svc.prefix, busy.requestId, 'expired');
    const refused = await api('POST', `/v1/requests/${busy.requestId}/sign-off`, svc.tokens.auditor, {});
    expect(refused.status).toBe(409);
    expect(refused.body.error.details[0].rule).toBe('sessions_reviewed');
  });

  it('lists reviews overdue: unreviewed longer than reviewDueDays after the session ended', async () => {
    const old = Date.now() - 10 * DAY;
    await api('POST', '/v1/session-events', svc.tokens.logSource, {
      events: [
        { source: 'bastion-1', account: 'v-ghost-1', type: 'login', at: new Date(old).toISOString(), sourceSessionId: 'g1' },
        { source: 'bastion-1', account: 'v-ghost-1', type: 'logout', at: new Date(old + MIN).toISOString(), sourceSessionId: 'g1' },
      ],
    });
    const overdue = await api('GET', '/v1/sessions/overdue', svc.tokens.auditor);
    expect(overdue.status).toBe(200);
    expect(overdue.body.items.map((s: { account: string }) => s.account)).toEqual(['v-ghost-1']);
    expect(Date.parse(overdue.body.items[0].reviewDueAt)).toBe(old + MIN + 7 * DAY);
  });
});
