import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { startProcess, waitUntil, type ManagedProcess } from '../../tools/dev/child-process.js';
import { redisPing, startRedis, type RedisRig } from '../../tools/dev/redis.rig.js';
import { withFreePorts } from './ports.js';

/** One primary, one replica and three Sentinels (quorum 2) on loopback, for failover tests. */
export interface SentinelRig {
  readonly master: string;
  readonly sentinels: { host: string; port: number }[];
  /** The port of the server the Sentinels call primary now. */
  primaryPort(): Promise<number>;
  /** SIGKILLs the current primary (no shutdown, no last write to anyone); resolves with its port. */
  killPrimary(): Promise<number>;
  /** Resolves once the Sentinels name a primary other than `oldPort` and it answers as one. */
  promoted(oldPort: number, timeoutMs?: number): Promise<number>;
  stop(): Promise<void>;
}

const MASTER = 'leasehold';

async function sentinelCall<T>(port: number, ...args: string[]): Promise<T> {
  const client = new Redis({ port, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 1, retryStrategy: () => null });
  client.on('error', () => undefined);
  try {
    await client.connect();
    return (await client.call('SENTINEL', ...args)) as T;
  } finally {
    client.disconnect();
  }
}

export async function startSentinelRig(): Promise<SentinelRig> {
  const dir = await mkdtemp(join(tmpdir(), 'leasehold-sentinel-'));
  const servers: RedisRig[] = [];
  const sentinels: ManagedProcess[] = [];
  const sentinelPorts: number[] = [];
  try {
    for (const name of ['a', 'b']) await mkdir(join(dir, name));
    // No 5 s pause before the first full sync (repl-diskless-sync-delay): the replica is in step at once.
    const fastSync = ['--repl-diskless-sync-delay', '0'];
    const primary = await withFreePorts(1, ([port]) => startRedis({ port: port!, dir: join(dir, 'a'), extraArgs: fastSync }));
    servers.push(primary);
    servers.push(
      await withFreePorts(1, ([port]) =>
        startRedis({ port: port!, dir: join(dir, 'b'), extraArgs: [...fastSync, '--replicaof', '127.0.0.1', String(primary.port)] }),
      ),
    );
    for (let i = 0; i < 3; i++) {
      await withFreePorts(1, async ([port]) => {
        const conf = join(dir, `sentinel-${i}.conf`);
        // Sentinel rewrites its own file (what it learnt of replicas and peers): it must be writable.
        await writeFile(
          conf,
          [
            `port ${port}`,
            'bind 127.0.0.1',
            `dir ${dir}`,
            `sentinel monitor ${MASTER} 127.0.0.1 ${primary.port} 2`,
            `sentinel down-after-milliseconds ${MASTER} 1000`,
            `sentinel failover-timeout ${MASTER} 10000`,
            `sentinel parallel-syncs ${MASTER} 1`,
            '',
          ].join('\n'),
        );
        const proc = startProcess('redis-server', [conf, '--sentinel', '--loglevel', 'warning']);
        try {
          await waitUntil(proc, 'redis-sentinel', () => redisPing(port!));
        } catch (err) {
          await proc.stop();
          throw err;
        }
        sentinels.push(proc);
        sentinelPorts.push(port!);
      });
    }
    // Ready when the replica is in step with the primary, and every Sentinel knows the replica and the others
    // (a failover needs the quorum to agree).
    const deadline = Date.now() + 30_000;
    const info = new Redis({ port: primary.port, host: '127.0.0.1' });
    try {
      while (!/slave0:.*state=online/.test(await info.info('replication'))) {
        if (Date.now() > deadline) throw new Error('the replica did not come in step with the primary within 30 s');
        await sleep(100);
      }
    } finally {
      info.disconnect();
    }
    for (const port of sentinelPorts) {
      for (;;) {
        const replicas = await sentinelCall<unknown[]>(port, 'REPLICAS', MASTER).catch(() => []);
        const peers = await sentinelCall<unknown[]>(port, 'SENTINELS', MASTER).catch(() => []);
        if (replicas.length >= 1 && peers.length >= 2) break;
        if (Date.now() > deadline) throw new Error(`sentinel on ${port} did not learn the replica and its peers within 30 s`);
        await sleep(200);
      }
    }
  } catch (err) {
    await Promise.all([...sentinels, ...servers].map((s) => s.stop()));
    await rm(dir, { recursive: true, force: true });
    throw err;
  }

  const primaryPort = async () => Number((await sentinelCall<string[]>(sentinelPorts[0]!, 'GET-MASTER-ADDR-BY-NAME', MASTER))[1]);
  return {
    master: MASTER,
    sentinels: sentinelPorts.map((port) => ({ host: '127.0.0.1', port })),
    primaryPort,
    async killPrimary() {
      const port = await primaryPort();
      const server = servers.find((s) => s.port === port);
      if (!server) throw new Error(`no server of the rig listens on ${port}`);
      server.process.child.kill('SIGKILL');
      await server.process.exited();
      return port;
    },
    async promoted(oldPort, timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const port = await primaryPort().catch(() => oldPort);
        if (port !== oldPort && (await redisPing(port))) return port;
        if (Date.now() > deadline) throw new Error(`no replica was promoted within ${timeoutMs} ms`);
        await sleep(100);
      }
    },
    async stop() {
      await Promise.all([...sentinels, ...servers].map((s) => s.stop()));
      await rm(dir, { recursive: true, force: true });
    },
  };
}
