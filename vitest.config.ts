import { defineConfig } from 'vitest/config';

/**
 * Two projects (STYLE.md §8): `unit` is fast and self-contained (fakes, fake
 * clock, no network); `integration` runs against real redis-server and slapd
 * (and Samba AD) that test/rig/global-setup.ts starts once per run. Integration
 * files run in parallel: each test uses its own Redis key prefix and its own
 * LDAP subtree.
 */
export default defineConfig({
  test: {
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
    ],
  },
});
