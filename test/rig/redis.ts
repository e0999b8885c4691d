import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startRedis, type RedisRig } from '../../tools/dev/redis.rig.js';
import { withFreePorts } from './ports.js';

/** A redis-server of the test's own, with restart for persistence tests. */
export interface TestRedis {
  readonly url: string;
  readonly port: number;
  readonly dir: string;
  /** Stops and starts again on the same port and directory (AOF data survives when `appendOnly`). */
  restart(): Promise<void>;
  /** Stops the server (and removes the directory if this helper made it). */
  stop(): Promise<void>;
}

/**
 * Starts a redis-server on a free loopback port. Most tests share the run's
 * server (`inject('redisUrl')`) with their own key prefix; start one here only
 * to stop, restart or break it.
 */
export async function startTestRedis(options: { appendOnly?: boolean; dir?: string } = {}): Promise<TestRedis> {
  const ownDir = options.dir === undefined;
  const dir = options.dir ?? (await mkdtemp(join(tmpdir(), 'leasehold-redis-')));
  let rig: RedisRig;
  try {
    rig = await withFreePorts(1, ([port]) => startRedis({ port: port!, dir, appendOnly: options.appendOnly ?? false }));
  } catch (err) {
    if (ownDir) await rm(dir, { recursive: true, force: true });
    throw err;
  }
  return {
    url: rig.url,
    port: rig.port,
    dir,
    async restart() {
      await rig.stop();
      rig = await startRedis({ port: rig.port, dir, appendOnly: options.appendOnly ?? false });
    },
    async stop() {
      await rig.stop();
      if (ownDir) await rm(dir, { recursive: true, force: true });
    },
  };
}
