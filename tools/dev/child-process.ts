import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

/** A server process started by a rig (test setup or dev stack). */
export interface ManagedProcess {
  readonly child: ChildProcess;
  /** The last lines the process wrote to stdout/stderr, for error messages. */
  output(): string;
  /** Resolves once the process has exited (immediately if it already has). */
  exited(): Promise<void>;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves when the process is gone. */
  stop(graceMs?: number): Promise<void>;
}

/** Spawns a server in the foreground, keeping a tail of its output. */
export function startProcess(command: string, args: string[], options: { cwd?: string } = {}): ManagedProcess {
  const child = spawn(command, args, { cwd: options.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  let tail = '';
  const keep = (chunk: Buffer): void => {
    tail = (tail + chunk.toString('utf8')).slice(-4000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exit = new Promise<void>((resolve) => {
    child.once('exit', () => resolve());
    child.once('error', (err) => {
      keep(Buffer.from(`\n${err.message}`));
      resolve();
    });
  });
  const gone = (): boolean => child.exitCode !== null || child.signalCode !== null;
  return {
    child,
    output: () => tail,
    exited: () => exit,
    async stop(graceMs = 5000) {
      if (gone() || child.pid === undefined) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exit;
      clearTimeout(timer);
    },
  };
}

/** Whether something accepts TCP connections on host:port. */
export function portOpen(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/**
 * Polls `check` until it returns true; fails early when the process exits,
 * with its output, so a bad config reads as the server's own complaint.
 */
export async function waitUntil(proc: ManagedProcess, what: string, check: () => Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let exited = false;
  void proc.exited().then(() => (exited = true));
  while (Date.now() < deadline) {
    if (exited) throw new Error(`${what} exited during start-up:\n${proc.output()}`);
    if (await check().catch(() => false)) return;
    await sleep(50);
  }
  throw new Error(`${what} not ready after ${timeoutMs} ms:\n${proc.output()}`);
}
