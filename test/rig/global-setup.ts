import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { startRedis } from '../../src/dev/redis-rig.js';
import { withFreePorts } from './ports.js';
import { providedSlapd, startTestSlapd } from './slapd.js';

/**
 * Starts the integration run's servers once, in one temp dir, on free
 * loopback ports, and provides their coordinates to the tests (context.d.ts).
 * The returned teardown stops them all and removes the dir; a failed start
 * tears down what did start before rethrowing.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const dir = await mkdtemp(join(tmpdir(), 'leasehold-rig-'));
  const stops: (() => Promise<void>)[] = [];
  const teardown = async (): Promise<void> => {
    // Reverse order; keep going past a failing stop so nothing is left running.
    for (const stop of stops.reverse()) await stop().catch((err: unknown) => console.error('rig teardown:', err));
    await rm(dir, { recursive: true, force: true });
  };
  try {
    const [redis, slapd] = await Promise.all([
      withFreePorts(1, ([port]) => startRedis({ port: port!, dir })),
      startTestSlapd(dir),
    ]);
    stops.push(() => redis.stop(), () => slapd.stop());
    project.provide('redisUrl', redis.url);
    project.provide('slapd', providedSlapd(slapd));

    // ---- Samba AD DC (test/rig/samba.ts, owned by the AD helper) ----
    // Started only when LEASEHOLD_TEST_AD !== '0'. Add one line here, e.g.:
    //   if (process.env.LEASEHOLD_TEST_AD !== '0') { const samba = await startSamba(dir); stops.push(() => samba.stop()); project.provide('samba', samba.provided); }
    // and the `samba` entry to ProvidedContext in context.d.ts.
  } catch (err) {
    await teardown();
    throw err;
  }
  return teardown;
}
