import { execFile, spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { Client } from 'ldapts';
import { portOpen } from './child-process.js';
import { RUN_PREFIX, addOwner, alive, killRig, liveOwners, removeOwner, runningRigs, withRigLock } from './samba-registry.js';
import {
  SAMBA_ADMIN_PASSWORD,
  SAMBA_BASE_DN,
  SAMBA_FQDN,
  SAMBA_LAYOUT,
  SAMBA_REALM,
  ensureSambaTemplate,
  sambaConf,
  type SambaTemplate,
} from './samba-template.js';
import { makeTlsMaterial } from './tls-material.js';

const run = promisify(execFile);

/** Samba's LDAP ports are fixed (389/636/3268/3269): one rig per machine, shared by whoever needs it. */
const SAMBA_HOST_ADDRESS = '127.0.0.1';

/**
 * How to reach the rig DC, as plain data (no handles): what integration tests
 * receive through `inject('samba')`, and what the dev stack and the bench use.
 */
export interface SambaInfo {
  dialect: 'ad';
  ldapsUrl: string;
  /** The rig's CA (PEM). The server certificate names 127.0.0.1, localhost and the DC's FQDN, so verification stays on. */
  caPem: string;
  caFile: string;
  /** The DC's FQDN (also in the certificate), for clients that reach it by that name. */
  servername: string;
  bindDn: string;
  bindPassword: string;
  baseDn: string;
  realm: string;
  vendorsOu: string;
  groupsOu: string;
  domainSid: string;
}

/** This process's use of the rig DC. */
export interface SambaRig extends SambaInfo {
  dir: string;
  pid: number;
  /** True when another run had it running already and this one joined it. */
  joined: boolean;
  /** Time spent: provisioning the template (0 when cached) and starting or joining the DC. */
  timings: { provisionMs: number; startMs: number };
  /** Leaves the rig; the last user out stops the DC and removes its directory. */
  stop: () => Promise<void>;
}

/** The plain-data part of a rig, e.g. for vitest's `provide('samba', …)`. */
export function sambaInfo(rig: SambaRig): SambaInfo {
  const { dir: _dir, pid: _pid, joined: _joined, timings: _timings, stop: _stop, ...info } = rig;
  return info;
}

/** What a rig directory records about itself (`rig.json`), for runs that join it. */
interface RigInfo {
  pid: number;
  templateDir: string;
  facts: SambaInfo;
}

/**
 * Brings up the machine's Samba AD DC for tests or the dev stack, or joins
 * the one already running. Every test works in its own OU, so concurrent runs
 * can share one DC; they could not each have one, as the ports are fixed.
 * Provisioning happens once per machine (ensureSambaTemplate); a start copies
 * the template, makes fresh TLS material and waits until the Administrator
 * can bind over verified LDAPS. A DC left by a crashed run is stopped first.
 */
export async function startSamba(options: { readyTimeoutMs?: number; waitForOthersMs?: number } = {}): Promise<SambaRig> {
  const template = await ensureSambaTemplate();
  const provisionMs = template.justProvisioned ? template.provisionMs : 0;
  const startBegan = Date.now();
  const deadline = Date.now() + (options.waitForOthersMs ?? 300_000);
  for (;;) {
    const got = await withRigLock(() => joinOrStart(template, options.readyTimeoutMs ?? 60_000));
    if (got !== 'busy') {
      const { info, dir, joined, token } = got;
      let stopped = false;
      const stop = async (): Promise<void> => {
        if (stopped) return;
        stopped = true;
        await withRigLock(async () => {
          if ((await removeOwner(dir, token)).length === 0) await killRig({ pid: info.pid, dir });
        });
      };
      // dialect: a rig.json written before SambaInfo had it lacks it.
      return { ...info.facts, dialect: 'ad', dir, pid: info.pid, joined, timings: { provisionMs, startMs: Date.now() - startBegan }, stop };
    }
    if (Date.now() > deadline) throw new Error('a Samba rig of another Leasehold version is running and still in use; try again when that run ends');
    await sleep(1000);
  }
}

/** Under the lock: join a live rig made from this template, clear dead ones, or start a new one. */
async function joinOrStart(template: SambaTemplate, readyTimeoutMs: number): Promise<{ info: RigInfo; dir: string; joined: boolean; token: string } | 'busy'> {
  for (const rig of await runningRigs()) {
    const owners = await liveOwners(rig.dir);
    const info = await readFile(join(rig.dir, 'rig.json'), 'utf8').then(
      (t) => JSON.parse(t) as RigInfo,
      () => undefined,
    );
    if (owners.length === 0) {
      await killRig(rig);
      continue;
    }
    if (info?.templateDir !== template.dir) return 'busy';
    return { info, dir: rig.dir, joined: true, token: await addOwner(rig.dir) };
  }
  if (await portOpen(SAMBA_HOST_ADDRESS, 636))
    throw new Error(`${SAMBA_HOST_ADDRESS}:636 is taken by something that is not a Leasehold Samba rig; stop it (ss -ltnp 'sport = :636')`);
  const dir = await mkdtemp(join(tmpdir(), RUN_PREFIX));
  try {
    const token = await addOwner(dir);
    return { info: await launch(template, dir, readyTimeoutMs), dir, joined: false, token };
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
}

/** Copies the template into `dir`, starts samba there and waits for a verified LDAPS bind. */
async function launch(template: SambaTemplate, dir: string, readyTimeoutMs: number): Promise<RigInfo> {
  await run('cp', ['-a', `${template.dir}/.`, dir]);
  const tlsDir = join(dir, 'private', 'tls');
  await Promise.all([mkdir(tlsDir, { recursive: true }), mkdir(join(dir, 'run'), { recursive: true })]);
  const tls = await makeTlsMaterial(tlsDir, [SAMBA_HOST_ADDRESS, 'localhost', SAMBA_FQDN]);
  const conf = join(dir, 'etc', 'smb.conf');
  await writeFile(conf, sambaConf(dir, tls));

  // Foreground (-F), not interactive: the DC must outlive the run that started it
  // while others use it, so it must not watch our stdin. Output goes to a file.
  const logFile = join(dir, 'samba.log');
  const log = openSync(logFile, 'a');
  const child = spawn('samba', ['-s', conf, '-F', '-M', 'single', '--debug-stdout'], { detached: true, stdio: ['ignore', log, log] });
  closeSync(log);
  child.unref();
  if (child.pid === undefined) throw new Error('samba did not start (is samba-ad-dc installed?)');
  const facts: SambaInfo = {
    dialect: 'ad',
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
  const info: RigInfo = { pid: child.pid, templateDir: template.dir, facts };
  const deadline = Date.now() + readyTimeoutMs;
  for (;;) {
    if (!alive(child.pid)) throw new Error(`samba exited during start-up:\n${await tail(logFile)}`);
    if (await canBind(facts).catch(() => false)) break;
    if (Date.now() > deadline) {
      await killRig({ pid: child.pid, dir });
      throw new Error(`samba not ready after ${readyTimeoutMs} ms:\n${await tail(logFile)}`);
    }
    await sleep(100);
  }
  await writeFile(join(dir, 'rig.json'), JSON.stringify(info));
  return info;
}

/** One bind over verified LDAPS as the rig's Administrator. */
async function canBind(facts: SambaInfo): Promise<boolean> {
  const client = new Client({ url: facts.ldapsUrl, timeout: 5000, connectTimeout: 2000, tlsOptions: { ca: facts.caPem } });
  try {
    await client.bind(facts.bindDn, facts.bindPassword);
    return true;
  } finally {
    await client.unbind().catch(() => undefined);
  }
}

async function tail(file: string): Promise<string> {
  return (await readFile(file, 'utf8').catch(() => '')).slice(-4000);
}
