import { readFileSync } from 'node:fs';
import { mkdir, open, readFile, readdir, readlink, rm, unlink, writeFile } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Book-keeping for the one Samba rig a machine can run (its LDAP ports are
 * fixed). Test runs and dev stacks share a running rig instead of queueing
 * for it: each user registers its pid in the rig's `owners/` directory, the
 * last one out stops it, and a rig whose owners have all died (a crashed
 * run) is stopped by whoever looks next. Changes happen under a lock file.
 */

/** Run directories are `<tmp>/leasehold-samba-run-XXXXXX`. */
export const RUN_PREFIX = 'leasehold-samba-run-';
const LOCK_FILE = join(tmpdir(), 'leasehold-samba.lock');

/** Runs `fn` holding the machine-wide rig lock; a lock left by a dead process is taken over. */
export async function withRigLock<T>(fn: () => Promise<T>, timeoutMs = 120_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const handle = await open(LOCK_FILE, 'wx');
      await handle.writeFile(String(process.pid));
      await handle.close();
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const holder = Number(await readFile(LOCK_FILE, 'utf8').catch(() => ''));
      if (holder > 0 && !alive(holder)) await unlink(LOCK_FILE).catch(() => undefined);
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${LOCK_FILE} (held by pid ${holder})`, { cause: err });
      await sleep(50 + Math.random() * 100);
    }
  }
  try {
    return await fn();
  } finally {
    await unlink(LOCK_FILE).catch(() => undefined);
  }
}

/** Registers a user of the rig in `dir` (`<pid>-<n>`: one process may hold several); returns its token. */
export async function addOwner(dir: string): Promise<string> {
  const token = `${process.pid}-${randomBytes(4).toString('hex')}`;
  await mkdir(join(dir, 'owners'), { recursive: true });
  await writeFile(join(dir, 'owners', token), '');
  return token;
}

/** Unregisters a user; returns the pids of the users still alive. */
export async function removeOwner(dir: string, token: string): Promise<number[]> {
  await rm(join(dir, 'owners', token), { force: true });
  return liveOwners(dir);
}

/** The pids registered in `dir/owners` that are still running. */
export async function liveOwners(dir: string): Promise<number[]> {
  const names = await readdir(join(dir, 'owners')).catch(() => [] as string[]);
  // Rigs of the first version of this file recorded a single owner beside the databases.
  const legacy = await readFile(join(dir, 'leasehold-owner.pid'), 'utf8').catch(() => undefined);
  if (legacy) names.push(legacy.trim());
  return names.map((n) => parseInt(n, 10)).filter((pid) => Number.isInteger(pid) && pid > 0 && alive(pid));
}

/** A running `samba` and the rig directory it serves. */
export interface RunningRig {
  pid: number;
  dir: string;
}

/**
 * Running `samba` processes serving a leasehold rig directory. Samba
 * overwrites its command line ("samba: root process"), so the directory is
 * found from the database it holds open (`DIR/private/sam.ldb`).
 */
export async function runningRigs(): Promise<RunningRig[]> {
  const found: RunningRig[] = [];
  for (const name of await readdir('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const comm = await readFile(`/proc/${name}/comm`, 'utf8').catch(() => '');
    if (!comm.startsWith('samba')) continue;
    const fds = await readdir(`/proc/${name}/fd`).catch(() => [] as string[]);
    const targets = await Promise.all(fds.map((fd) => readlink(`/proc/${name}/fd/${fd}`).catch(() => '')));
    const samLdb = targets.find((t) => t.endsWith('/private/sam.ldb'));
    const dir = samLdb?.slice(0, -'/private/sam.ldb'.length);
    if (dir?.includes(RUN_PREFIX)) found.push({ pid: Number(name), dir });
  }
  return found;
}

/** Stops a rig's samba (TERM, then KILL after `graceMs`) and removes its directory. */
export async function killRig(rig: RunningRig, graceMs = 5000): Promise<void> {
  const signal = (s: NodeJS.Signals): void => {
    try {
      process.kill(rig.pid, s);
    } catch {
      // Already gone.
    }
  };
  signal('SIGTERM');
  const deadline = Date.now() + graceMs;
  while (alive(rig.pid) && Date.now() < deadline) await sleep(50);
  if (alive(rig.pid)) signal('SIGKILL');
  while (alive(rig.pid)) await sleep(50);
  if (rig.dir.includes(RUN_PREFIX)) await rm(rig.dir, { recursive: true, force: true });
}

/** Whether a process exists (a zombie child counts as gone). */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
  try {
    // A zombie has exited: it only waits for its parent to reap it.
    return !/^\d+ \(.*\) Z /.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return true;
  }
}
