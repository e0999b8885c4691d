import type { Server } from 'node:http';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/api/create-app.js';
import { route } from '../../src/api/route.js';
import { TokenAuthenticator } from '../../src/api/token-authenticator.js';
import { silentLogger } from '../support/log-capture.js';

const INDEX = '<!doctype html><html><head><script type="module" src="/assets/app-1a2b3c.js"></script></head><body><div id="root"></div></body></html>';
const SCRIPT = 'console.log("console");';

describe('the web console served by the API process', () => {
  let dir: string;
  let server: Server;
  let base: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'leasehold-console-'));
    await mkdir(join(dir, 'assets'));
    await writeFile(join(dir, 'index.html'), INDEX);
    await writeFile(join(dir, 'assets', 'app-1a2b3c.js'), SCRIPT);
    await writeFile(join(dir, 'favicon.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>');
    const app = createApp({
      routes: [
        route({
          method: 'get',
          path: '/healthz',
          roles: 'public',
          tag: 'system',
          summary: 'Liveness',
          operationId: 'getHealth',
          responses: { 200: { description: 'alive' } },
          handle: () => Promise.resolve({ status: 200, body: { status: 'ok' } }),
        }),
      ],
      auth: new TokenAuthenticator([]),
      logger: silentLogger(),
      audit: () => Promise.resolve(),
      consoleDir: dir,
    });
    server = await new Promise<Server>((resolve) => {
      const s = app.listen(0, '127.0.0.1', () => resolve(s));
    });
    base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
    await rm(dir, { recursive: true, force: true });
  });

  it('serves index.html at / with a strict CSP and no-cache', async () => {
    const res = await fetch(`${base}/`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    expect(res.headers.get('cache-control')).toBe('no-cache');
    expect(await res.text()).toBe(INDEX);
    const csp = res.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("style-src 'self'");
    expect(csp).toContain("script-src-attr 'none'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toContain('unsafe-inline');
    expect(csp).not.toContain('https:');
  });

  it('serves the built files under /assets with a long immutable cache', async () => {
    const res = await fetch(`${base}/assets/app-1a2b3c.js`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/javascript/);
    expect(res.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(await res.text()).toBe(SCRIPT);
  });

  it('answers a missing asset with 404, never with the page', async () => {
    const res = await fetch(`${base}/assets/gone-000000.js`);
    expect(res.status).toBe(404);
    expect(await res.text()).not.toContain('<!doctype html>');
  });

  it("answers the console's own paths with index.html so that a reload works", async () => {
    for (const path of ['/requests/r-123', '/vendors', '/audit?actor=alice']) {
      const res = await fetch(`${base}${path}`);
      expect(res.status, path).toBe(200);
      expect(await res.text(), path).toBe(INDEX);
    }
  });

  it('leaves the API and the probes alone: unknown API paths stay JSON 404s', async () => {
    const unknown = await fetch(`${base}/v1/nothing-here`);
    expect(unknown.status).toBe(404);
    expect(((await unknown.json()) as { error: { code: string } }).error.code).toBe('not_found');
    const health = await fetch(`${base}/healthz`);
    expect(await health.json()).toEqual({ status: 'ok' });
    expect((await fetch(`${base}/metrics`)).status).toBe(404);
  });

  it('serves other files of the build with no-cache and does not answer writes with the page', async () => {
    const icon = await fetch(`${base}/favicon.svg`);
    expect(icon.status).toBe(200);
    expect(icon.headers.get('cache-control')).toBe('no-cache');
    const post = await fetch(`${base}/requests`, { method: 'POST' });
    expect(post.status).toBe(404);
  });

  it('serves a build that appears after start-up, and nothing while there is none', async () => {
    const later = await mkdtemp(join(tmpdir(), 'leasehold-console-later-'));
    const app = createApp({ routes: [], auth: new TokenAuthenticator([]), logger: silentLogger(), audit: () => Promise.resolve(), consoleDir: later });
    const s = await new Promise<Server>((resolve) => {
      const listening = app.listen(0, '127.0.0.1', () => resolve(listening));
    });
    const url = `http://127.0.0.1:${(s.address() as { port: number }).port}/`;
    try {
      expect((await fetch(url)).status).toBe(404);
      await writeFile(join(later, 'index.html'), INDEX);
      const res = await fetch(url);
      expect(res.status).toBe(200);
      expect(await res.text()).toBe(INDEX);
    } finally {
      await new Promise((resolve) => s.close(resolve));
      await rm(later, { recursive: true, force: true });
    }
  });
});
