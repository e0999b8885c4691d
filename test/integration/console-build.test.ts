import type { Server } from 'node:http';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONSOLE_DIR } from '../../src/api/console-static.js';
import { createApp } from '../../src/api/create-app.js';
import { TokenAuthenticator } from '../../src/api/token-authenticator.js';
import { silentLogger } from '../support/log-capture.js';

/**
 * The built console (dist/web, which `npm test` builds first) as the API
 * process serves it: the page, its hashed assets, and nothing in it that the
 * CSP would block (inline script, style attributes, other origins).
 */
describe('the built web console', () => {
  let server: Server;
  let base: string;
  let index: string;
  beforeAll(async () => {
    index = await readFile(join(CONSOLE_DIR, 'index.html'), 'utf8');
    const app = createApp({ routes: [], auth: new TokenAuthenticator([]), logger: silentLogger(), audit: () => Promise.resolve() });
    server = await new Promise<Server>((resolve) => {
      const s = app.listen(0, '127.0.0.1', () => resolve(s));
    });
    base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
  });

  it('is served at / and on its own paths with the strict CSP', async () => {
    for (const path of ['/', '/requests/new', '/audit']) {
      const res = await fetch(`${base}${path}`);
      expect(res.status, path).toBe(200);
      expect(await res.text(), path).toBe(index);
      const csp = res.headers.get('content-security-policy') ?? '';
      expect(csp).toContain("default-src 'self'");
      expect(csp).not.toContain('unsafe-inline');
      expect(csp).not.toContain('unsafe-eval');
    }
  });

  it('needs nothing inline and nothing from another origin', () => {
    expect(index).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/i);
    expect(index).not.toMatch(/\sstyle=/i);
    expect(index).not.toMatch(/<style/i);
    expect(index).not.toMatch(/(src|href)="(https?:)?\/\//i);
  });

  it('serves the script and style sheet the page names from /assets, cached as immutable', async () => {
    const assets = [...index.matchAll(/(?:src|href)="(\/assets\/[^"]+)"/g)].map((m) => m[1]!);
    expect(assets.some((a) => a.endsWith('.js'))).toBe(true);
    expect(assets.some((a) => a.endsWith('.css'))).toBe(true);
    for (const asset of assets) {
      const res = await fetch(`${base}${asset}`);
      expect(res.status, asset).toBe(200);
      expect(res.headers.get('content-type'), asset).toMatch(asset.endsWith('.js') ? /javascript/ : /text\/css/);
      expect(res.headers.get('cache-control'), asset).toBe('public, max-age=31536000, immutable');
      expect(await res.text(), asset).toBe(await readFile(join(CONSOLE_DIR, asset), 'utf8'));
    }
  });
});
