import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { sha256Hex } from '../../src/api/token-authenticator.js';
import { loadConfig, type Config, type Role } from '../../src/config/load-config.js';
import type { Policy } from '../../src/config/policy.schema.js';
import type { Logger } from '../../src/logger.js';
import { silentLogger } from './log-capture.js';
import { startService, type Mode, type RunningService } from '../../src/start-service.js';
import type { DirectoryPort } from '../../src/domain/ports/directory.port.js';
import type { SambaInfo } from '../../tools/dev/samba.rig.js';
import type { SlapdInfo } from '../../tools/dev/slapd.rig.js';
import { DEMO_STAFF_ROLES } from '../../tools/dev/slapd-seed.js';

/** The directory a test service talks to. */
export interface DirectoryTarget {
  url: string;
  dialect: 'openldap' | 'ad';
  bindDn: string;
  bindPassword: string;
  baseDn: string;
  vendorOu: string;
  caPem?: string;
  startTls?: boolean;
  allowInsecure?: boolean;
}

const TOKEN_ROLES = {
  requester: ['requester'],
  requester2: ['requester'],
  approver: ['approver'],
  auditor: ['auditor'],
  admin: ['admin'],
  automation: ['automation'],
  logSource: ['log-source'],
} satisfies Record<string, Role[]>;
export type TokenName = keyof typeof TOKEN_ROLES;

export interface TestService extends RunningService {
  url: string;
  config: Config;
  tokens: Record<TokenName, string>;
  dir: string;
  prefix: string;
}

/**
 * Writes tokens, policy and keys to a temp dir, parses them through the real
 * configuration loader, and starts the service in-process on a free port.
 * Each call gets its own Redis prefix, so tests never see each other's data.
 */
export interface ServiceSetup {
  redisUrl: string;
  directory: DirectoryTarget;
  policy?: Partial<Policy> & Record<string, unknown>;
  prefix?: string;
  env?: Record<string, string>;
}

/** Writes the files a service needs and returns its environment (for in-process or child-process services). */
export function serviceEnv(options: ServiceSetup): { env: Record<string, string>; tokens: Record<TokenName, string>; dir: string; prefix: string } {
  const dir = mkdtempSync(join(tmpdir(), 'leasehold-svc-'));
  const tokens = Object.fromEntries(Object.keys(TOKEN_ROLES).map((name) => [name, `tok-${name}-${randomBytes(12).toString('hex')}`])) as Record<
    TokenName,
    string
  >;
  writeFileSync(
    join(dir, 'tokens.json'),
    JSON.stringify({ tokens: Object.entries(TOKEN_ROLES).map(([name, roles]) => ({ name, roles, sha256: sha256Hex(tokens[name as TokenName]) })) }),
  );
  // The seeded demo staff (tools/dev/slapd-seed.ts, the Samba template) sign in with their roles unless a test says otherwise.
  const staff = { roles: DEMO_STAFF_ROLES };
  writeFileSync(join(dir, 'policy.yaml'), stringify({ sweepIntervalSeconds: 1, reconcileIntervalSeconds: 2, staff, ...options.policy }));
  const d = options.directory;
  if (d.caPem) writeFileSync(join(dir, 'ca.pem'), d.caPem);
  const prefix = options.prefix ?? `t${randomBytes(5).toString('hex')}`;
  const env: Record<string, string> = {
    HOST: '127.0.0.1',
    PORT: '0',
    REDIS_URL: options.redisUrl,
    REDIS_PREFIX: prefix,
    LDAP_URL: d.url,
    LDAP_DIALECT: d.dialect,
    LDAP_BIND_DN: d.bindDn,
    LDAP_BIND_PASSWORD: d.bindPassword,
    LDAP_BASE_DN: d.baseDn,
    LDAP_VENDOR_OU: d.vendorOu,
    ...(d.caPem ? { LDAP_CA_FILE: join(dir, 'ca.pem') } : {}),
    LDAP_STARTTLS: String(d.startTls ?? false),
    LDAP_ALLOW_INSECURE: String(d.allowInsecure ?? false),
    API_TOKENS_FILE: join(dir, 'tokens.json'),
    POLICY_FILE: join(dir, 'policy.yaml'),
    AUDIT_LOG_FILE: join(dir, 'audit.jsonl'),
    CREDENTIALS_KEY: randomBytes(32).toString('base64'),
    RATE_LIMIT_PER_MINUTE: '0',
    WORKER_CONCURRENCY: '8',
    ...options.env,
  };
  return { env, tokens, dir, prefix };
}

export async function startTestService(
  options: ServiceSetup & { mode?: Mode; logger?: Logger; fakeDirectory?: DirectoryPort; now?: () => Date },
): Promise<TestService> {
  const { env, tokens, dir, prefix } = serviceEnv(options);
  const config = loadConfig(env);
  const service = await startService(config, {
    mode: options.mode ?? 'all',
    logger: options.logger ?? silentLogger(),
    ...(options.fakeDirectory ? { directory: options.fakeDirectory } : {}),
    ...(options.now ? { now: options.now } : {}),
  });
  return { ...service, url: service.url ?? '', config, tokens, dir, prefix };
}

export interface ApiReply<T = any> {
  status: number;
  body: T;
}

/** A tiny JSON client for the service's API. */
export function apiClient(baseUrl: string) {
  return async function call<T = any>(method: string, path: string, token?: string, body?: unknown): Promise<ApiReply<T>> {
    const res = await fetch(baseUrl + path, {
      method,
      headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      /* not JSON: keep the text */
    }
    return { status: res.status, body: parsed as T };
  };
}

export { eventually } from './eventually.js';

/** The run's slapd (over verified LDAPS) as a target whose vendor container is `vendorOu`. */
export function slapdTarget(slapd: SlapdInfo, vendorOu: string): DirectoryTarget {
  return {
    url: slapd.ldapsUrl,
    dialect: 'openldap',
    bindDn: slapd.bindDn,
    bindPassword: slapd.bindPassword,
    baseDn: slapd.baseDn,
    vendorOu,
    caPem: slapd.caPem,
  };
}

/** The run's Samba AD DC (over verified LDAPS) as a target whose vendor container is `vendorOu`. */
export function sambaTarget(samba: SambaInfo, vendorOu: string): DirectoryTarget {
  return { url: samba.ldapsUrl, dialect: 'ad', bindDn: samba.bindDn, bindPassword: samba.bindPassword, baseDn: samba.baseDn, vendorOu, caPem: samba.caPem };
}
