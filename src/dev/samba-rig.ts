import { execFile, spawn } from 'node:child_process';
import { access, mkdir, mkdtemp, readFile, readdir, readlink, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { Client } from 'ldapts';
import { portOpen, waitUntil, type ManagedProcess } from './child-process.js';
import { SAMBA_ADMIN_PASSWORD, SAMBA_BASE_DN, SAMBA_FQDN, SAMBA_LAYOUT, SAMBA_REALM, ensureSambaTemplate, sambaConf } from './samba-template.js';
import { makeTlsMaterial } from './tls-material.js';

const run = promisify(execFile);

/** Samba's LDAP ports are fixed (389/636/3268/3269 on 127.0.0.1): one rig per machine at a time. */
export const SAMBA_HOST_ADDRESS = '127.0.0.1';
const RUN_PREFIX = 'leasehold-samba-run-';
const OWNER_FILE = 'leasehold-owner.pid';

/** How to reach a running rig DC; plain strings so vitest can `provide` it to test workers. */
export interface SambaFacts {
  ldapsUrl: string;
  /** The rig's CA (PEM); the server certificate names 127.0.0.1, localhost and the DC's FQDN. */
  caPem: string;
  caFile: string;
  /** The DC's FQDN, for clients that connect by another name and must check this one. */
  servername: string;
  bindDn: string;
  bindPassword: string;
  baseDn: string;
  realm: string;
  vendorsOu: string;
  groupsOu: string;
  domainSid: string;
}

/** A running rig DC. */
export interface SambaRig extends SambaFacts {
  dir: string;
  process: ManagedProcess;
  /** Time spent: provisioning the template (0 when it was cached) and starting this copy. */
  timings: { provisionMs: number; startMs: number };
  stop(): Promise<void>;
}

export interface SambaRigOptions {
  /** Keep the directory here and reuse it on the next start (dev stack); default a fresh temp copy, removed on stop. */
  dir?: string;
  /** How long to wait for the first LDAPS bind. */
  readyTimeoutMs?: number;
}

/**
 * Starts a Samba AD DC for tests or the dev stack: provisions the cached
 * template if this machine has none, copies it, makes fresh TLS material,
 * starts `samba -i -M single` and waits until the Administrator can bind
 * over verified LDAPS. Samba in interactive mode exits when its stdin
 * closes, so it dies with the process that started it even on SIGKILL.
 */
export async function startSamba(options: SambaRigOptions = {}): Promise<SambaRig> {
  const provisionStart = Date.now();
  const template = await ensureSambaTemplate();
  const provisionMs = Date.now() - provisionStart > 1000 ? template.provisionMs : 0;
  const startStart = Date.now();
  await clearStaleSambas();

  const keep = options.dir !== undefined;
  const dir = options.dir ?? (await mkdtemp(join(tmpdir(), RUN_PREFIX)));
  const fresh = !keep || !(await exists(join(dir, 'private', 'sam.ldb')));
  if (fresh) await run('cp', ['-a', `${template.dir}/.`, dir]);
  const tlsDir = join(dir, 'private', 'tls');
  await mkdir(tlsDir, { recursive: true });
  await mkdir(join(dir, 'run'), { recursive: true });
  const tls = await makeTlsMaterial(tlsDir, [SAMBA_HOST_ADDRESS, 'localhost', SAMBA_FQDN]);
  const conf = join(dir, 'etc', 'smb.conf');
  await writeFile(conf, sambaConf(dir, tls));
  await writeFile(join(dir, OWNER_FILE), String(process.pid));

  const proc = spawnSamba(conf);
  const facts: SambaFacts = {
    ldapsUrl: `ldaps://${SAMBA_HOST_ADDRESS}:636`,
    caPem: tls.caPem,
    caFile: tls.caFile,
    servername: SAMBA_FQDN,
    bindDn: `CN=Administrator,CN=Users,${SAMBA_BASE_DN}`,
    bindPassword: SAMBA_ADMIN_PASSWORD,
    baseDn: SAMBA_BASE_DN,
    realm: SAMBA_REALM,
    vendorsOu: SAMBA_LAYOUT.vendorsOu,
    groupsOu: SAMBA_LAYOUT.groupsOu,
    domainSid: template.domainSid,
  };
  const stop = async (): Promise<void> => {
    await proc.stop();
    if (!keep) await rm(dir, { recursive: true, force: true });
  };
  try {
    await waitUntil(proc, 'samba', () => canBind(facts), options.readyTimeoutMs ?? 60_000);
  } catch (err) {
    await stop();
    throw err;
  }
  return { ...facts, dir, process: proc, timings: { provisionMs, startMs: Date.now() - startStart }, stop };
}

/** One bind over verified LDAPS as the rig's Administrator. */
async function canBind(facts: SambaFacts): Promise<boolean> {
  const client = new Client({ url: facts.ldapsUrl, timeout: 5000, connectTimeout: 2000, tlsOptions: { ca: facts.caPem } });
  try {
    await client.bind(facts.bindDn, facts.bindPassword);
    return true;
  } finally {
    await client.unbind().catch(() => undefined);
  }
}

/**
 * `samba -i` in its own process group with a piped stdin: in interactive
 * mode Samba terminates on EOF on stdin, which is what ties its life to ours.
 */
function spawnSamba(conf: string): ManagedProcess {
  const child = spawn('samba', ['-s', conf, '-i', '-M', 'single'], { detached: true, stdio: ['pipe', 'pipe', 'pipe'] });
  let tail = '';
  const keepTail = (chunk: Buffer): void => {
    tail = (tail + chunk.toString('utf8')).slice(-4000);
  };
  child.stdout.on('data', keepTail);
  child.stderr.on('data', keepTail);
  child.stdin.on('error', () => undefined);
  const exit = new Promise<void>((resolve) => {
    child.once('exit', () => resolve());
    child.once('error', (err) => {
      keepTail(Buffer.from(`\n${err.message}`));
      resolve();
    });
  });
  const gone = (): boolean => child.exitCode !== null || child.signalCode !== null;
  const signalGroup = (signal: NodeJS.Signals): void => {
    try {
      if (child.pid !== undefined) process.kill(-child.pid, signal);
    } catch {
      // Already gone.
    }
  };
  return {
    child,
    output: () => tail,
    exited: () => exit,
    async stop(graceMs = 5000) {
      if (gone() || child.pid === undefined) return;
      signalGroup('SIGTERM');
      const timer = setTimeout(() => signalGroup('SIGKILL'), graceMs);
      await exit;
      clearTimeout(timer);
      // Anything else left in the group (Samba forks helpers in some process models).
      signalGroup('SIGKILL');
    },
  };
}

/**
 * Ends rig DCs whose owner is gone (a crashed or killed test run), found by
 * their command line naming a leasehold run directory. A rig whose owner is
 * alive belongs to a concurrent run: wait for it to finish rather than break
 * it. Anything else holding port 636 is reported, never killed.
 */
export async function clearStaleSambas(waitForOthersMs = 300_000): Promise<void> {
  const deadline = Date.now() + waitForOthersMs;
  for (;;) {
    let othersAlive = false;
    for (const rig of await leaseholdSambas()) {
      if (rig.ownerPid !== undefined && rig.ownerPid !== process.pid && alive(rig.ownerPid)) {
        othersAlive = true;
        continue;
      }
      for (const signal of ['SIGTERM', 'SIGKILL'] as const) {
        try {
          process.kill(rig.pid, signal);
        } catch {
          break;
        }
        await sleep(500);
      }
      if (rig.dir.includes(RUN_PREFIX)) await rm(rig.dir, { recursive: true, force: true });
    }
    if (!othersAlive && !(await portOpen(SAMBA_HOST_ADDRESS, 636))) return;
    if (!othersAlive) throw new Error(`port ${SAMBA_HOST_ADDRESS}:636 is taken by a process that is not a leasehold Samba rig; stop it (ss -ltnp 'sport = :636')`);
    if (Date.now() > deadline) throw new Error('another test run still owns the Samba rig on 127.0.0.1:636; try again when it has finished');
    await sleep(1000);
  }
}

/**
 * Running `samba` processes started from a leasehold rig directory, with the
 * pid of the process that owns each. Samba overwrites its command line
 * ("samba: root process"), so the rig directory is found from the databases
 * it holds open (`DIR/private/sam.ldb`).
 */
async function leaseholdSambas(): Promise<{ pid: number; dir: string; ownerPid?: number }[]> {
  const found: { pid: number; dir: string; ownerPid?: number }[] = [];
  for (const name of await readdir('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const comm = await readFile(`/proc/${name}/comm`, 'utf8').catch(() => '');
    if (!comm.startsWith('samba')) continue;
    const fds = await readdir(`/proc/${name}/fd`).catch(() => [] as string[]);
    const targets = await Promise.all(fds.map((fd) => readlink(`/proc/${name}/fd/${fd}`).catch(() => '')));
    const samLdb = targets.find((t) => t.endsWith('/private/sam.ldb'));
    if (!samLdb) continue;
    const dir = samLdb.slice(0, -'/private/sam.ldb'.length);
    const owner = await readFile(join(dir, OWNER_FILE), 'utf8').catch(() => undefined);
    if (owner === undefined && !dir.includes(RUN_PREFIX)) continue; // not a leasehold rig
    found.push({ pid: Number(name), dir, ownerPid: owner === undefined ? undefined : Number(owner) });
  }
  return found;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function exists(path: string): Promise<boolean> {
  return access(path).then(() => true, () => false);
}
