import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { startRedis } from '../../tools/dev/redis.rig.js';
import { sambaInfo } from '../../tools/dev/samba.rig.js';
import { slapdInfo } from '../../tools/dev/slapd.rig.js';
import { withFreePorts } from './ports.js';
import { sambaWanted, startTestSamba } from './samba.js';
import { startTestSlapd } from './slapd.js';

/**
 * Starts the integration run's servers once, in one temp dir, on free
 * loopback ports, and provides their coordinates to the tests (context.d.ts).
 * The returned teardown stops them all and removes the dir; a failed start
 * tears down what did start before rethrowing.
 */
export default function setup(project: TestProject): Promise<() => Promise<void>> {
  return startRig(project, { samba: sambaWanted() });
}

/**
 * The rig with or without Samba: the browser project (test/browser/global-setup.ts)
 * needs only Redis and slapd, and must not start a second DC after the
 * integration project's in one `npm test`.
 */
export async function startRig(project: TestProject, options: { samba: boolean }): Promise<() => Promise<void>> {
  const dir = await mkdtemp(join(tmpdir(), 'leasehold-rig-'));
  const stops: (() => Promise<void>)[] = [];
  const teardown = async (): Promise<void> => {
    // Reverse order; keep going past a failing stop so nothing is left running.
    for (const stop of stops.reverse()) await stop().catch((err: unknown) => console.error('rig teardown:', err));
    await rm(dir, { recursive: true, force: true });
  };
  try {
    // All servers start at once (Samba takes longest); whatever started is stopped even if another failed.
    const [redis, slapd, samba] = await Promise.allSettled([
      withFreePorts(1, ([port]) => startRedis({ port: port!, dir })),
      startTestSlapd(dir),
      // Samba AD DC (test/rig/samba.ts): needs root and samba-ad-dc; LEASEHOLD_TEST_AD=0 skips it and the AD suites.
      options.samba ? startTestSamba() : Promise.resolve(null),
    ]);
    for (const started of [redis, slapd, samba]) {
      const rig = started.status === 'fulfilled' ? started.value : null;
      if (rig) stops.push(() => rig.stop());
    }
    for (const started of [redis, slapd, samba]) if (started.status === 'rejected') throw started.reason;
    if (redis.status !== 'fulfilled' || slapd.status !== 'fulfilled' || samba.status !== 'fulfilled') throw new Error('unreachable');
    project.provide('redisUrl', redis.value.url);
    project.provide('slapd', slapdInfo(slapd.value));
    project.provide('samba', samba.value ? sambaInfo(samba.value) : null);
  } catch (err) {
    await teardown();
    throw err;
  }
  return teardown;
}
