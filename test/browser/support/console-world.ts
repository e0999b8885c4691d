import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { inject } from 'vitest';
import type { Browser } from 'playwright-core';
import { CONSOLE_DIR } from '../../../src/api/console-static.js';
import { createLdapSubtree, type LdapSubtree } from '../../rig/ldap-subtree.js';
import { withFreePorts } from '../../rig/ports.js';
import { slapdTarget, startTestService, type DirectoryTarget, type TestService } from '../../support/service-harness.js';
import { launchChromium } from './browser.js';

/** What a browser test file works with: the service (console at its URL), its directory corner, a Chromium. */
export interface ConsoleWorld {
  svc: TestService;
  url: string;
  target: DirectoryTarget;
  subtree: LdapSubtree;
  /** The text every name this file makes in the directory starts with (a group search for it finds this file's groups). */
  prefix: string;
  /** This file's groups in the directory: one a request may name, one privileged (dba-…) the picker must refuse. */
  groups: { grantable: string; grantableName: string; privileged: string; privilegedName: string };
  browser: Browser;
  close(): Promise<void>;
}

/**
 * Starts the service (API, worker, console from dist/web) on the run's Redis
 * and slapd, as a deployment would: on a known port with PUBLIC_URL set, so
 * the Origin check is on, and the cookie without Secure on plain-HTTP
 * loopback (COOKIE_SECURE=false, as `npm run dev` does). The seeded demo
 * staff (tools/dev/slapd-seed.ts) sign in with their roles. Chromium starts
 * at the same time.
 */
export async function startConsoleWorld(
  label: string,
  options: { policy?: Record<string, unknown>; env?: Record<string, string> } = {},
): Promise<ConsoleWorld> {
  // Without a build the service answers 404 at `/`, and every test would fail waiting for the sign-in screen.
  if (!existsSync(join(CONSOLE_DIR, 'index.html'))) throw new Error(`no console build in ${CONSOLE_DIR}: run \`npm run build\` first`);
  const p = `${label}${randomBytes(3).toString('hex')}`;
  const [subtree, browser] = await Promise.all([createLdapSubtree(label), launchChromium()]);
  const grantableName = `${p}-資訊組`;
  const privilegedName = `dba-${p}`;
  const groups = { grantable: await subtree.addGroup(grantableName), grantableName, privileged: await subtree.addGroup(privilegedName), privilegedName };
  const target = slapdTarget(inject('slapd'), subtree.dn);
  const svc = await withFreePorts(1, ([port]) =>
    startTestService({
      redisUrl: inject('redisUrl'),
      directory: target,
      env: { PORT: String(port), PUBLIC_URL: `http://127.0.0.1:${port}`, COOKIE_SECURE: 'false', ...options.env },
      policy: { grantableGroups: [`/^cn=(${p}-資訊組|dba-${p}),/`], ...options.policy },
    }),
  );
  return {
    svc,
    url: svc.url,
    target,
    subtree,
    prefix: p,
    groups,
    browser,
    async close() {
      await browser.close();
      await svc.close();
      await subtree.cleanup();
    },
  };
}
