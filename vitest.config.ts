import { defineConfig } from 'vitest/config';

/**
 * Three projects (STYLE.md §8): `unit` is fast and self-contained (fakes, fake
 * clock, no network); `integration` runs against real redis-server and slapd
 * (and Samba AD) that test/rig/global-setup.ts starts once per run; `browser`
 * drives the console in a real Chromium against the service on its own Redis
 * and slapd (no Samba). Integration
 * files run in parallel: each test uses its own Redis key prefix and its own
 * LDAP subtree.
 */
export default defineConfig({
  test: {
    // Vitest's default is one worker per core less one: a single worker on a
    // 2-core machine, so every file ran after the other. Integration files spend
    // their time waiting on servers and timers, not on the CPU; three at a time
    // finish the suite in about half the time without starving slapd and Samba.
    maxWorkers: 3,
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
          environment: 'node',
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          environment: 'node',
          globalSetup: ['test/rig/global-setup.ts'],
          testTimeout: 60_000,
          hookTimeout: 120_000,
          fileParallelism: true,
        },
      },
      {
        // The console in Debian's chromium (playwright-core) against the service on Redis and slapd; needs `npm run build` (dist/web).
        test: {
          name: 'browser',
          include: ['test/browser/**/*.test.ts'],
          environment: 'node',
          globalSetup: ['test/browser/global-setup.ts'],
          testTimeout: 60_000,
          hookTimeout: 120_000,
          fileParallelism: true,
        },
      },
    ],
  },
});
