import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { loadReanchorKey } from '../audit/reanchor.js';
import { ConfigError } from '../errors.js';
import { envSchema, type Env } from './env.schema.js';
import { policySchema, type Policy } from './policy.schema.js';

export const ROLES = ['requester', 'approver', 'auditor', 'admin', 'automation', 'log-source', 'exception-approver'] as const;
export type Role = (typeof ROLES)[number];

const tokensSchema = z.strictObject({
  tokens: z
    .array(
      z.strictObject({
        name: z.string().regex(/^[A-Za-z0-9_.@-]{1,64}$/, 'letters, digits, _ . @ - (1–64)'),
        roles: z.array(z.enum(ROLES)).min(1),
        sha256: z.string().regex(/^[0-9a-f]{64}$/, 'lower-case hex SHA-256 of the token'),
      }),
    )
    .min(1),
});
export type TokenEntry = z.infer<typeof tokensSchema>['tokens'][number];

/** Everything the service is configured with, parsed and checked once. */
export interface Config {
  env: Env;
  policy: Policy;
  tokens: TokenEntry[];
  ldapBindPassword: string;
  credentialsKey: Buffer;
  /** AUDIT_REANCHOR_KEY(_FILE): checks signed re-anchors of the audit trail (audit/reanchor.ts). */
  auditReanchorKey?: Buffer;
  ldapCa?: string;
  /** STAFF_BIND_PASSWORD(_FILE), with STAFF_LDAP_URL. */
  staffBindPassword?: string;
  /** STAFF_CA_FILE's PEM, with STAFF_LDAP_URL. */
  staffCa?: string;
}

function issues(prefix: string, error: z.ZodError): string[] {
  return error.issues.map((i) => `[${[prefix, ...i.path.map(String)].filter(Boolean).join('.')}] ${i.message}`);
}

function readText(path: string, label: string, problems: string[]): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    problems.push(`[${label}] cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
    return undefined;
  }
}

/** Parses a policy document (YAML or JSON text). */
export function parsePolicy(text: string, source = 'POLICY_FILE'): Policy {
  let raw: unknown;
  try {
    raw = parseYaml(text) ?? {};
  } catch (err) {
    throw new ConfigError([`[${source}] not valid YAML/JSON: ${(err as Error).message}`]);
  }
  const parsed = policySchema.safeParse(raw);
  if (!parsed.success) throw new ConfigError(issues(source, parsed.error));
  for (const pattern of parsed.data.sessions.privilegedCommands) {
    try {
      new RegExp(pattern, 'i');
    } catch {
      throw new ConfigError([`[${source}.sessions.privilegedCommands] not a valid regular expression: ${pattern}`]);
    }
  }
  return parsed.data;
}

function decodeKey(text: string): Buffer | undefined {
  const t = text.trim();
  const buf = /^[0-9a-fA-F]{64}$/.test(t) ? Buffer.from(t, 'hex') : Buffer.from(t, 'base64');
  return buf.length === 32 ? buf : undefined;
}

/**
 * Reads and validates the whole configuration. Collects every problem and
 * throws one ConfigError listing them all.
 */
export function loadConfig(source: NodeJS.ProcessEnv): Config {
  const problems: string[] = [];
  const parsedEnv = envSchema.safeParse(source);
  if (!parsedEnv.success) throw new ConfigError(issues('', parsedEnv.error));
  const env = parsedEnv.data;

  let policy: Policy | undefined;
  const policyText = readText(env.POLICY_FILE, 'POLICY_FILE', problems);
  if (policyText !== undefined) {
    try {
      policy = parsePolicy(policyText);
    } catch (err) {
      problems.push(...(err instanceof ConfigError ? err.problems : [String(err)]));
    }
  }

  let tokens: TokenEntry[] = [];
  const tokensText = readText(env.API_TOKENS_FILE, 'API_TOKENS_FILE', problems);
  if (tokensText !== undefined) {
    try {
      const parsed = tokensSchema.safeParse(JSON.parse(tokensText));
      if (parsed.success) tokens = parsed.data.tokens;
      else problems.push(...issues('API_TOKENS_FILE', parsed.error));
    } catch {
      problems.push('[API_TOKENS_FILE] not valid JSON');
    }
  }

  const ldapBindPassword = env.LDAP_BIND_PASSWORD ?? readText(env.LDAP_BIND_PASSWORD_FILE!, 'LDAP_BIND_PASSWORD_FILE', problems)?.replace(/\r?\n$/, '') ?? '';

  const keyText = env.CREDENTIALS_KEY ?? readText(env.CREDENTIALS_KEY_FILE!, 'CREDENTIALS_KEY_FILE', problems);
  const credentialsKey = keyText === undefined ? undefined : decodeKey(keyText);
  if (keyText !== undefined && !credentialsKey) problems.push('[CREDENTIALS_KEY] must be 32 bytes, base64 or 64 hex digits');

  const ldapCa = env.LDAP_CA_FILE ? readText(env.LDAP_CA_FILE, 'LDAP_CA_FILE', problems) : undefined;
  const auditReanchorKey = loadReanchorKey(env, problems);
  const staffBindPassword = !env.STAFF_LDAP_URL
    ? undefined
    : (env.STAFF_BIND_PASSWORD ?? readText(env.STAFF_BIND_PASSWORD_FILE!, 'STAFF_BIND_PASSWORD_FILE', problems)?.replace(/\r?\n$/, ''));
  const staffCa = env.STAFF_LDAP_URL && env.STAFF_CA_FILE ? readText(env.STAFF_CA_FILE, 'STAFF_CA_FILE', problems) : undefined;

  if (problems.length > 0 || !policy || !credentialsKey) throw new ConfigError(problems);
  return {
    env,
    policy,
    tokens,
    ldapBindPassword,
    credentialsKey,
    ldapCa,
    ...(auditReanchorKey ? { auditReanchorKey } : {}),
    ...(staffBindPassword !== undefined ? { staffBindPassword } : {}),
    ...(staffCa !== undefined ? { staffCa } : {}),
  };
}
