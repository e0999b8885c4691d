import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { stringify } from 'yaml';
import { sha256Hex } from '../../src/api/token-authenticator.js';
import { loadConfig } from '../../src/config/load-config.js';
import type { Policy } from '../../src/config/policy.schema.js';
import type { Mode } from '../../src/start-service.js';
import { RedisRecordStore } from '../../src/store/redis-record.store.js';
import { RedisKeys } from '../../src/store/redis-keys.js';
import type { BenchContext } from './bench-context.js';
import type { DirectoryInfo } from '../dev/directory-info.js';
import { freePort } from './bench.rig.js';

/** The bench's API callers: one token per role it needs. */
const BENCH_TOKENS = { requester: ['requester'], approver: ['approver'], logSource: ['log-source'] } as const;
export type BenchToken = keyof typeof BENCH_TOKENS;

/** One configured service: its environment, tokens and a view of its store. */
export interface ServiceSetup {
  env: Record<string, string>;
  tokens: Record<BenchToken, string>;
  dir: string;
  keys: RedisKeys;
}

/**
 * Writes the files a service needs (tokens, policy, CA) under `dir` and
 * returns its environment: production settings (NODE_ENV=production, LDAPS
 * with the CA verified, audit mirror with fsync, INFO logging), the default
 * WORKER_CONCURRENCY unless the run overrides it (ctx.serviceEnv), and its own
 * Redis prefix and directory under the run's scratch dir.
 */
export function serviceSetup(ctx: BenchContext, o: { name: string; server: DirectoryInfo; vendorOu: string; policy?: Partial<Policy> }): ServiceSetup {
  const dir = join(ctx.dir, o.name);
  const prefix = `bench-${o.name}`;
  mkdirSync(dir, { recursive: true });
  const tokens = Object.fromEntries(Object.keys(BENCH_TOKENS).map((n) => [n, `bench-${n}-${randomBytes(12).toString('hex')}`])) as Record<BenchToken, string>;
  const entries = Object.entries(BENCH_TOKENS).map(([name, roles]) => ({ name, roles, sha256: sha256Hex(tokens[name as BenchToken]) }));
  writeFileSync(join(dir, 'tokens.json'), JSON.stringify({ tokens: entries }));
  writeFileSync(join(dir, 'policy.yaml'), stringify({ ...o.policy }));
  writeFileSync(join(dir, 'ca.pem'), o.server.caPem);
  const env: Record<string, string> = {
    NODE_ENV: 'production',
    HOST: '127.0.0.1',
    PORT: '0',
    REDIS_URL: ctx.redisUrl,
    REDIS_PREFIX: prefix,
    LDAP_URL: o.server.ldapsUrl,
    LDAP_DIALECT: o.server.dialect,
    LDAP_BIND_DN: o.server.bindDn,
    LDAP_BIND_PASSWORD: o.server.bindPassword,
    LDAP_BASE_DN: o.server.baseDn,
    LDAP_VENDOR_OU: o.vendorOu,
    LDAP_CA_FILE: join(dir, 'ca.pem'),
    API_TOKENS_FILE: join(dir, 'tokens.json'),
    POLICY_FILE: join(dir, 'policy.yaml'),
    AUDIT_LOG_FILE: join(dir, 'audit.jsonl'),
    CREDENTIALS_KEY: randomBytes(32).toString('base64'),
    RATE_LIMIT_PER_MINUTE: '0',
    LOG_LEVEL: 'info',
    ...ctx.serviceEnv,
  };
  return { env, tokens, dir, keys: new RedisKeys(prefix) };
}

/** The WORKER_CONCURRENCY a setup runs with (the raw comparison uses the same). */
export function workerConcurrency(setup: ServiceSetup): number {
  return loadConfig(setup.env).env.WORKER_CONCURRENCY;
}

/** The service as its own OS process (`node dist/main.js <mode>`), so that its CPU, RSS and event loop are its own. */
export interface ServiceChild {
  child: ChildProcess;
  pid: number;
  /** The API's base URL (modes all and api). */
  url: string;
  output(): string;
  stop(): Promise<void>;
}

/**
 * Starts the service as a child process on a free port and resolves once it
 * logs that it started (after its start-up catch-up). With `profileDir`, the
 * child writes a CPU profile of its whole life there when it stops.
 */
export async function spawnService(setup: ServiceSetup, mode: Mode, o: { mainJs: string; name: string; profileDir?: string }): Promise<ServiceChild> {
  const port = await freePort();
  const profile = o.profileDir ? ['--cpu-prof', `--cpu-prof-dir=${o.profileDir}`, `--cpu-prof-name=${o.name}.cpuprofile`] : [];
  const child = spawn(process.execPath, [...profile, o.mainJs, mode], {
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...setup.env, PORT: String(port) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let tail = '';
  const keep = (chunk: Buffer): void => {
    tail = (tail + chunk.toString()).slice(-50_000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    await exited;
    clearTimeout(timer);
  };
  const deadline = Date.now() + 60_000;
  while (!tail.includes(`leasehold ${mode} started`)) {
    if (child.exitCode !== null || Date.now() > deadline) {
      await stop();
      throw new Error(`service (${mode}) did not start:\n${tail.slice(-4000)}`);
    }
    await new Promise((r) => setTimeout(r, 25));
  }
  return { child, pid: child.pid!, url: `http://127.0.0.1:${port}`, output: () => tail, stop };
}

/** The bench's own view of a service's store: a Redis connection and the RedisRecordStore over it. */
export function storeView(redisUrl: string, keys: RedisKeys): { redis: Redis; store: RedisRecordStore; close(): Promise<void> } {
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: 3 });
  redis.on('error', () => undefined);
  return { redis, store: new RedisRecordStore(redis, keys), close: async () => void (await redis.quit().catch(() => undefined)) };
}

/** How many requests are in each status (the store's status indexes), in one round trip. */
export async function statusCounts(redis: Redis, keys: RedisKeys, statuses: string[]): Promise<number[]> {
  const p = redis.pipeline();
  for (const s of statuses) p.zcard(keys.requestsByStatus(s));
  const replies = (await p.exec()) ?? [];
  return replies.map(([err, n]) => {
    if (err) throw err;
    return n as number;
  });
}

/** A tiny JSON client for the service's API; throws on an unexpected status. */
export function apiClient(baseUrl: string) {
  return async function call<T = unknown>(method: string, path: string, token: string, body?: unknown, expect?: number): Promise<T> {
    const res = await fetch(baseUrl + path, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await res.text();
    if (expect !== undefined ? res.status !== expect : res.status >= 300) throw new Error(`${method} ${path}: HTTP ${res.status} ${text.slice(0, 500)}`);
    return (text ? JSON.parse(text) : undefined) as T;
  };
}

/** Redis calls per command since the last CONFIG RESETSTAT (INFO commandstats), for per-operation figures. */
export async function redisCommandCalls(redis: Redis): Promise<Map<string, number>> {
  const info = await redis.info('commandstats');
  const calls = new Map<string, number>();
  for (const m of info.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) calls.set(m[1]!, Number(m[2]));
  return calls;
}

/** Total Redis calls in a commandstats snapshot. */
export function totalCalls(calls: Map<string, number>): number {
  let sum = 0;
  for (const n of calls.values()) sum += n;
  return sum;
}
