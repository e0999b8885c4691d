import net from 'node:net';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { auditEventsOf, rawRequest, startApiOnly } from '../support/api-probes.js';
import { apiClient, eventually, type TestService } from '../support/service-harness.js';

const redisUrl = () => inject('redisUrl');
const TWO_MB = 2 * 1024 * 1024;

describe('authentication comes before the body', () => {
  let svc: TestService;
  let api: ReturnType<typeof apiClient>;
  beforeAll(async () => {
    svc = await startApiOnly(redisUrl());
    api = apiClient(svc.url);
  });
  afterAll(async () => {
    await svc?.close();
  });

  it('answers 401 to an anonymous request with malformed JSON, and 400 only once the caller is known', async () => {
    expect((await api('POST', '/v1/vendors', undefined, '{"name": ')).status).toBe(401);
    expect((await api('POST', '/v1/vendors', 'not-a-real-token-at-all', '{"name": ')).status).toBe(401);
    expect((await api('POST', '/v1/vendors', svc.tokens.auditor, '{"name": ')).status).toBe(403);
    const known = await api('POST', '/v1/vendors', svc.tokens.requester, '{"name": ');
    expect(known.status).toBe(400);
    expect(known.body.error.code).toBe('malformed_json');
  });

  it('answers 401 to an anonymous 2 MB body, and 413 only once the caller is known', async () => {
    const big = JSON.stringify({ name: 'x'.repeat(TWO_MB) });
    expect((await api('POST', '/v1/vendors', undefined, big)).status).toBe(401);
    expect((await api('POST', '/v1/vendors', svc.tokens.requester, big)).status).toBe(413);
  });

  it('answers an anonymous request before its body has arrived, so nothing of it is buffered', async () => {
    // 2 MB announced, 16 KB sent: a server that read the body first would wait for the rest.
    const status = rawRequest(svc.url, {
      method: 'POST',
      path: '/v1/vendors',
      headers: { 'content-type': 'application/json', 'content-length': TWO_MB },
      body: Buffer.alloc(16 * 1024, 0x20),
      end: false,
    });
    const noAnswer = new Promise<never>((_, reject) => setTimeout(() => reject(new Error('no answer while the body was incomplete')), 5000).unref());
    expect(await Promise.race([status, noAnswer])).toBe(401);
  });
});

describe('rate limiting', () => {
  let svc: TestService;
  let api: ReturnType<typeof apiClient>;
  beforeAll(async () => {
    svc = await startApiOnly(redisUrl(), { RATE_LIMIT_PER_MINUTE: '3' });
    api = apiClient(svc.url);
  });
  afterAll(async () => {
    await svc?.close();
  });

  it('never limits /healthz, /readyz and /metrics, even once the client has used up its limit', async () => {
    for (let i = 0; i < 3; i++) await api('GET', '/v1/vendors', svc.tokens.auditor);
    expect((await api('GET', '/v1/vendors', svc.tokens.auditor)).status).toBe(429);
    for (let i = 0; i < 5; i++) {
      expect((await api('GET', '/healthz')).status).toBe(200);
      expect((await api('GET', '/readyz')).status).toBe(200);
      expect((await api('GET', '/metrics')).status).toBe(200);
    }
    // Spelled as express would still route them.
    for (const path of ['/healthz/', '/HEALTHZ', '/readyz/']) expect((await api('GET', path)).status, path).toBe(200);
    expect((await api('GET', '/openapi.json')).status).toBe(429);
  });
});

/** A bad-token request claiming to come from `forwardedFor`; the status. */
async function badTokenFrom(svc: TestService, forwardedFor: string): Promise<number> {
  const res = await fetch(`${svc.url}/v1/vendors`, { headers: { authorization: 'Bearer not-a-real-token-at-all', 'x-forwarded-for': forwardedFor } });
  await res.arrayBuffer();
  return res.status;
}

describe('TRUST_PROXY', () => {
  let behindProxy: TestService;
  let direct: TestService;
  beforeAll(async () => {
    [behindProxy, direct] = await Promise.all([
      startApiOnly(redisUrl(), { RATE_LIMIT_PER_MINUTE: '3', TRUST_PROXY: 'loopback' }),
      startApiOnly(redisUrl(), { RATE_LIMIT_PER_MINUTE: '3' }),
    ]);
  });
  afterAll(async () => {
    await Promise.all([behindProxy?.close(), direct?.close()]);
  });

  it('set: the forwarded client address is the rate-limit key and the audited address', async () => {
    for (let i = 0; i < 3; i++) expect(await badTokenFrom(behindProxy, '203.0.113.7')).toBe(401);
    expect(await badTokenFrom(behindProxy, '203.0.113.7')).toBe(429);
    expect(await badTokenFrom(behindProxy, '203.0.113.8')).toBe(401);
    const ips = (await auditEventsOf(behindProxy, 'auth.failed')).map((e) => e.details.ip);
    expect(new Set(ips)).toEqual(new Set(['203.0.113.7', '203.0.113.8']));
  });

  it('unset: X-Forwarded-For is ignored, for the limit and for the audit', async () => {
    for (let i = 0; i < 3; i++) expect(await badTokenFrom(direct, `198.51.100.${i}`)).toBe(401);
    expect(await badTokenFrom(direct, '198.51.100.9')).toBe(429);
    const ips = new Set((await auditEventsOf(direct, 'auth.failed')).map((e) => String(e.details.ip)));
    expect(ips.size).toBe(1);
    expect([...ips][0]).toMatch(/^(::ffff:)?127\.0\.0\.1$/);
  });
});

describe('connection limits', () => {
  let svc: TestService;
  beforeAll(async () => {
    svc = await startApiOnly(redisUrl(), { HTTP_HEADERS_TIMEOUT_MS: '1000', HTTP_REQUEST_TIMEOUT_MS: '1000', HTTP_MAX_CONNECTIONS: '2' });
  });
  afterAll(async () => {
    await svc?.close();
  });

  const connect = async (): Promise<{ socket: net.Socket; closed: Promise<string> }> => {
    const { port } = new URL(svc.url);
    const socket = net.connect(Number(port), '127.0.0.1');
    let received = '';
    socket.on('data', (d: Buffer) => (received += d.toString()));
    const closed = new Promise<string>((resolve) => socket.on('close', () => resolve(received)));
    socket.on('error', () => undefined);
    await new Promise((resolve) => socket.once('connect', resolve));
    return { socket, closed };
  };

  it('closes a connection whose headers do not arrive in time (slowloris), with 408', async () => {
    const { socket, closed } = await connect();
    socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\n');
    const started = Date.now();
    expect(await closed).toMatch(/^HTTP\/1\.1 408/);
    expect(Date.now() - started).toBeLessThan(4000);
  });

  it('drops connections beyond HTTP_MAX_CONNECTIONS at once', async () => {
    const held = [await connect(), await connect()];
    const third = await connect();
    expect(await third.closed).toBe('');
    for (const { socket } of held) socket.destroy();
    // The slots come back once the held connections are gone.
    await eventually(async () => (await fetch(`${svc.url}/healthz`)).status === 200, 5000);
  });
});
