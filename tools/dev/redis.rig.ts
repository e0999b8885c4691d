import { createConnection } from 'node:net';
import { startProcess, waitUntil, type ManagedProcess } from './child-process.js';

/** How to start a throwaway redis-server. */
export interface RedisRigOptions {
  port: number;
  /** Working directory (AOF files, if on); must exist. */
  dir: string;
  /** Append-only persistence, for tests that restart Redis and expect the data back. */
  appendOnly?: boolean;
  /** More redis-server arguments (`--replicaof host port`, say). */
  extraArgs?: string[];
}

/** A running redis-server. */
export interface RedisRig {
  url: string;
  port: number;
  dir: string;
  process: ManagedProcess;
  stop(): Promise<void>;
}

/** Sends PING over a raw socket and resolves true on `+PONG` (no client library needed). */
export function redisPing(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host, port });
    const done = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1000, () => done(false));
    socket.once('error', () => done(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.once('data', (data) => done(data.toString().startsWith('+PONG')));
  });
}

/**
 * Starts `redis-server` on 127.0.0.1 with no RDB snapshots and, unless asked,
 * no AOF; `noeviction` as BullMQ requires. Resolves when it answers PING.
 */
export async function startRedis(options: RedisRigOptions): Promise<RedisRig> {
  const { port, dir } = options;
  const args = [
    '--port',
    String(port),
    '--bind',
    '127.0.0.1',
    '--save',
    '',
    '--dir',
    dir,
    '--appendonly',
    options.appendOnly ? 'yes' : 'no',
    '--appendfsync',
    'everysec',
    '--maxmemory-policy',
    'noeviction',
    '--daemonize',
    'no',
    '--loglevel',
    'warning',
    ...(options.extraArgs ?? []),
  ];
  const proc = startProcess('redis-server', args, { cwd: dir });
  try {
    await waitUntil(proc, 'redis-server', () => redisPing(port));
  } catch (err) {
    await proc.stop();
    throw err;
  }
  return { url: `redis://127.0.0.1:${port}`, port, dir, process: proc, stop: () => proc.stop() };
}
