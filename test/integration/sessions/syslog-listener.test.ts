import dgram from 'node:dgram';
import { hostname } from 'node:os';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { apiClient, eventually, startTestService, type TestService } from '../../support/service-harness.js';
import { fakeDirectory, NO_DIRECTORY, seedRequest } from '../../support/session-fixtures.js';
import { sendRawTcp, sendWithLogger } from '../../support/syslog-sender.js';

const HOUR = 3_600_000;

describe('the syslog listener', () => {
  let svc: TestService;
  let api: ReturnType<typeof apiClient>;
  let port: number;
  const host = hostname();

  beforeAll(async () => {
    const redisUrl = inject('redisUrl');
    svc = await startTestService({ redisUrl, directory: NO_DIRECTORY, fakeDirectory: fakeDirectory(), mode: 'api', env: { SYSLOG_PORT: '0' } });
    api = apiClient(svc.url);
    port = svc.syslogPort!;
    await seedRequest(redisUrl, svc.prefix, {
      username: 'v-acme-ng-1',
      targetSystems: [host],
      validFrom: new Date(Date.now() - HOUR),
      validTo: new Date(Date.now() + HOUR),
    });
  });
  afterAll(async () => {
    await svc?.close();
  });

  const sessionsOf = async (account: string) =>
    (await api('GET', `/v1/sessions?account=${account}`, svc.tokens.auditor)).body.items as {
      id: string;
      eventCount: number;
      source: string;
      sourceSessionId?: string;
      flags: { code: string }[];
    }[];

  it('turns sshd and sudo lines sent by logger (TCP and UDP, RFC 5424 and 3164, both TCP framings) into one session', async () => {
    expect(port).toBeGreaterThan(0);
    await sendWithLogger(
      port,
      { transport: 'tcp', format: 'rfc5424', tag: 'sshd', pid: 4242 },
      'Accepted password for v-acme-ng-1 from 10.20.0.8 port 50022 ssh2',
    );
    await sendWithLogger(
      port,
      { transport: 'udp', format: 'rfc3164', tag: 'sudo' },
      'v-acme-ng-1 : TTY=pts/0 ; PWD=/home/v-acme-ng-1 ; USER=root ; COMMAND=/bin/bash',
    );
    await sendWithLogger(
      port,
      { transport: 'tcp', format: 'rfc5424', octetCount: true, tag: 'sshd', pid: 4242 },
      'pam_unix(sshd:session): session closed for user v-acme-ng-1',
    );
    const [session] = await eventually(async () => {
      const s = await sessionsOf('v-acme-ng-1');
      return s.length === 1 && s[0]!.eventCount === 3 ? s : undefined;
    });
    expect(session!.source.toLowerCase()).toBe(host.toLowerCase());
    expect(session!.sourceSessionId).toBe('4242');
    expect(session!.flags.map((f) => f.code)).toEqual(['privileged_command']);
    const full = await api('GET', `/v1/sessions/${session!.id}`, svc.tokens.auditor);
    // In time order; the RFC 3164 sudo stamp is cut to the second, so it may sort before the login.
    const events = full.body.events as { type: string; origin: string; detail: string }[];
    expect(events.map((e) => `${e.origin}:${e.type}`).sort()).toEqual(['syslog:command', 'syslog:login', 'syslog:logout']);
    expect(events.find((e) => e.type === 'command')!.detail).toBe('sudo -u root /bin/bash');
  });

  it('counts garbage, logs it, and keeps listening on both transports', async () => {
    await sendRawTcp(port, Buffer.concat([Buffer.from('this is not syslog\n'), Buffer.alloc(20_000, 0x41), Buffer.from('\n\u0000\u0001\u0002\n99999999 x')]));
    const udp = dgram.createSocket('udp4');
    await new Promise<void>((resolve) => udp.send(Buffer.from([0xff, 0xfe, 0x00]), port, '127.0.0.1', () => resolve()));
    udp.close();
    await sendWithLogger(
      port,
      { transport: 'tcp', format: 'rfc3164', tag: 'sshd', pid: 5151 },
      'Failed password for v-acme-ng-1 from 203.0.113.9 port 40022 ssh2',
    );
    await eventually(async () => (await sessionsOf('v-acme-ng-1')).some((s) => s.sourceSessionId === '5151'));
    const metrics = (await api('GET', '/metrics')).body as string;
    const garbage = [...metrics.matchAll(/leasehold_syslog_messages_total\{transport="(tcp|udp)",outcome="garbage"\} (\d+)/g)];
    expect(garbage.map((m) => m[1]).sort()).toEqual(['tcp', 'udp']);
    expect(garbage.reduce((n, m) => n + Number(m[2]), 0)).toBeGreaterThanOrEqual(4);
    expect(metrics).toMatch(/leasehold_session_events_total\{origin="syslog",outcome="stored"\} [4-9]/);
  });
});
