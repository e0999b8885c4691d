import { isIP } from 'node:net';
import { z } from 'zod';
import { bindNameProblem } from '../provisioner/ldap/bind-name.js';
import { parseSentinels } from '../store/redis-connection.js';

const bool = z.enum(['true', 'false', '1', '0', 'yes', 'no'], { message: 'must be true or false' }).transform((v) => v === 'true' || v === '1' || v === 'yes');

/** One entry of TRUST_PROXY: an address, a CIDR range, or one of express's names for ranges. */
function proxyEntryProblem(entry: string): string | undefined {
  if (['loopback', 'linklocal', 'uniquelocal'].includes(entry)) return undefined;
  const [address = '', bits, ...rest] = entry.split('/');
  const family = isIP(address);
  if (family === 0 || rest.length > 0) return `"${entry}" is not an address, a CIDR range, loopback, linklocal or uniquelocal`;
  if (bits !== undefined && (!/^\d{1,3}$/.test(bits) || Number(bits) > (family === 4 ? 32 : 128))) return `"${entry}" has a bad prefix length`;
  return undefined;
}

/**
 * TRUST_PROXY: `false` (the default: X-Forwarded-For is ignored), a hop count,
 * or comma-separated proxy addresses/CIDR ranges. `true` (trust any proxy) is
 * refused: every client could then choose its own address.
 */
const trustProxy = z
  .string()
  .trim()
  .transform((value, ctx): false | number | string[] => {
    if (value === 'false' || value === '0' || value === '') return false;
    if (/^\d+$/.test(value)) return Number(value);
    if (value === 'true') {
      ctx.addIssue({
        code: 'custom',
        message: 'true would let any client forge its address: give the number of proxies in front, or their addresses/CIDR ranges',
      });
      return z.NEVER;
    }
    const entries = value
      .split(',')
      .map((e) => e.trim())
      .filter(Boolean);
    for (const problem of entries.map(proxyEntryProblem)) if (problem) ctx.addIssue({ code: 'custom', message: problem });
    return entries;
  });

const dn = z.string().min(3).regex(/=/, 'must be a distinguished name (attr=value,…)');

/** The environment of API.md, parsed once at start-up. Nothing else reads process.env. */
export const envSchema = z
  .object({
    HOST: z.string().min(1).default('127.0.0.1'),
    PORT: z.coerce.number().int().min(0).max(65535).default(8080),
    REDIS_URL: z
      .string()
      .regex(/^rediss?:\/\//, 'must be a redis:// or rediss:// URL')
      .default('redis://127.0.0.1:6379'),
    /** Redis Sentinels watching the primary (`host:port,…`); with them REDIS_URL gives only credentials, database and TLS. */
    REDIS_SENTINELS: z
      .string()
      .transform((value, ctx) => {
        const parsed = parseSentinels(value);
        if (typeof parsed === 'string') {
          ctx.addIssue({ code: 'custom', message: parsed });
          return z.NEVER;
        }
        return parsed;
      })
      .optional(),
    /** The name the Sentinels know the primary by (`sentinel monitor <name> …`). */
    REDIS_SENTINEL_MASTER: z
      .string()
      .regex(/^[A-Za-z0-9_.-]+$/, 'letters, digits, _ . - only')
      .optional(),
    REDIS_PREFIX: z
      .string()
      .regex(/^[A-Za-z0-9_.-]+$/, 'letters, digits, _ . - only')
      .default('leasehold'),
    LDAP_URL: z.string().regex(/^ldaps?:\/\/[^/]+\/?$/, 'must be ldap://host[:port] or ldaps://host[:port]'),
    LDAP_DIALECT: z.enum(['openldap', 'ad']),
    /** A DN; with LDAP_DIALECT=ad also a UPN or DOMAIN\name (checked below, as it depends on the dialect). */
    LDAP_BIND_DN: z.string().min(1),
    LDAP_BIND_PASSWORD: z.string().min(1).optional(),
    LDAP_BIND_PASSWORD_FILE: z.string().min(1).optional(),
    LDAP_BASE_DN: dn,
    LDAP_VENDOR_OU: dn,
    LDAP_CA_FILE: z.string().min(1).optional(),
    LDAP_STARTTLS: bool.default(false),
    LDAP_ALLOW_INSECURE: bool.default(false),
    LDAP_TIMEOUT_MS: z.coerce.number().int().positive().default(10_000),
    /** Staff sign-in against another directory than LDAP_URL (src/staff/); unset = the same directory and service account. */
    STAFF_LDAP_URL: z
      .string()
      .regex(/^ldaps?:\/\/[^/]+\/?$/, 'must be ldap://host[:port] or ldaps://host[:port]')
      .optional(),
    STAFF_BIND_DN: z.string().min(1).optional(),
    STAFF_BIND_PASSWORD: z.string().min(1).optional(),
    STAFF_BIND_PASSWORD_FILE: z.string().min(1).optional(),
    STAFF_CA_FILE: z.string().min(1).optional(),
    /** Where staff accounts are looked up; default LDAP_BASE_DN. */
    STAFF_SEARCH_BASE: dn.optional(),
    /** The console's public origin (https://leasehold.school.test): cookie-authenticated writes must come from it (Origin). */
    PUBLIC_URL: z
      .url()
      .regex(/^https?:\/\//, 'must be an http:// or https:// URL')
      .optional(),
    /** Mail (src/notify/): smtp://user:pass@host:port or smtps://…; unset = no mail (webhooks still work). */
    SMTP_URL: z
      .url()
      .regex(/^smtps?:\/\/[^/]+\/?$/, 'must be smtp://[user:pass@]host[:port] or smtps://…')
      .optional(),
    /** The From of every mail: an address, or `Name <address>`. */
    MAIL_FROM: z
      .string()
      .regex(/^([^<>\r\n]*<[^<>@\s]+@[^<>@\s]+>|[^<>@\s]+@[^<>@\s]+)$/, 'must be an address or Name <address>')
      .optional(),
    /** The session cookie is Secure unless this is false (plain-HTTP dev stacks only). */
    COOKIE_SECURE: bool.default(true),
    /** Time zone the console shows dates in (IANA name). */
    TZ: z
      .string()
      .refine((tz) => {
        try {
          new Intl.DateTimeFormat('en', { timeZone: tz });
          return true;
        } catch {
          return false;
        }
      }, 'must be an IANA time zone such as Asia/Taipei')
      .default('Asia/Taipei'),
    API_TOKENS_FILE: z.string().min(1),
    POLICY_FILE: z.string().min(1).default('config/policy.yaml'),
    AUDIT_LOG_FILE: z.string().min(1).default('./data/audit.jsonl'),
    /** Also forward each audit event to syslog (RFC 5424, facility "log audit"): udp://host:514 or tcp://host:601. */
    AUDIT_SYSLOG_URL: z
      .string()
      .regex(/^(udp|tcp):\/\/(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+)(:\d{1,5})?\/?$/, 'must be udp://host[:port] or tcp://host[:port]')
      .optional(),
    /** How often the head of the audit trail is verified and checkpointed; 0 = never. */
    AUDIT_CHECKPOINT_INTERVAL_SECONDS: z.coerce.number().int().min(0).default(300),
    /** Key (32 bytes, base64 or hex) that signs and checks re-anchors of events hashed by the Date defect (docs/audit.md). */
    AUDIT_REANCHOR_KEY: z.string().min(1).optional(),
    AUDIT_REANCHOR_KEY_FILE: z.string().min(1).optional(),
    /**
     * Where sealed audit segments and session event bodies are written
     * (src/audit/archive/, src/sessions/); every process that serves queries
     * must see the same directory. Unset: nothing is archived and session
     * events stay in the control-plane Redis (or SESSION_REDIS_URL).
     */
    ARCHIVE_DIR: z.string().min(1).optional(),
    /** A second Redis for session event bodies, for those who prefer it to files in ARCHIVE_DIR. */
    SESSION_REDIS_URL: z
      .string()
      .regex(/^rediss?:\/\//, 'must be a redis:// or rediss:// URL')
      .optional(),
    SYSLOG_PORT: z.coerce.number().int().min(0).max(65535).optional(),
    /** Key (32 bytes, base64 or hex) that encrypts initial passwords at rest until fetched. */
    CREDENTIALS_KEY: z.string().min(1).optional(),
    CREDENTIALS_KEY_FILE: z.string().min(1).optional(),
    /** Requests per minute per client address; 0 turns the limit off. */
    RATE_LIMIT_PER_MINUTE: z.coerce.number().int().min(0).default(6000),
    /** Which reverse proxies to believe about the client's address (X-Forwarded-For): express's `trust proxy`. */
    TRUST_PROXY: trustProxy.default(false),
    /** Slow clients: time to send the headers, the whole request, and how long an idle keep-alive connection stays open. */
    HTTP_HEADERS_TIMEOUT_MS: z.coerce.number().int().min(1000).max(600_000).default(20_000),
    HTTP_REQUEST_TIMEOUT_MS: z.coerce.number().int().min(1000).max(3_600_000).default(60_000),
    HTTP_KEEP_ALIVE_TIMEOUT_MS: z.coerce.number().int().min(1000).max(600_000).default(5_000),
    /** Open HTTP connections at most; further ones are closed at once. */
    HTTP_MAX_CONNECTIONS: z.coerce.number().int().min(1).max(1_000_000).default(1000),
    /** How long a job's lock lives; a worker that dies is noticed (stalled) within about this time. */
    JOB_LOCK_MS: z.coerce.number().int().min(1000).max(600_000).default(30_000),
    WORKER_CONCURRENCY: z.coerce.number().int().min(1).max(500).default(16),
    LOG_LEVEL: z.enum(['error', 'warn', 'info', 'http', 'verbose', 'debug', 'silly']).default('info'),
    NODE_ENV: z.string().optional(),
  })
  .superRefine((env, ctx) => {
    if (env.REDIS_SENTINELS && !env.REDIS_SENTINEL_MASTER)
      ctx.addIssue({ code: 'custom', path: ['REDIS_SENTINEL_MASTER'], message: 'required with REDIS_SENTINELS' });
    if (env.REDIS_SENTINEL_MASTER && !env.REDIS_SENTINELS)
      ctx.addIssue({ code: 'custom', path: ['REDIS_SENTINELS'], message: 'required with REDIS_SENTINEL_MASTER' });
    const bindName = bindNameProblem(env.LDAP_BIND_DN, env.LDAP_DIALECT);
    if (bindName) ctx.addIssue({ code: 'custom', path: ['LDAP_BIND_DN'], message: bindName });
    if (!env.LDAP_BIND_PASSWORD && !env.LDAP_BIND_PASSWORD_FILE)
      ctx.addIssue({ code: 'custom', path: ['LDAP_BIND_PASSWORD'], message: 'LDAP_BIND_PASSWORD or LDAP_BIND_PASSWORD_FILE is required' });
    if (!env.CREDENTIALS_KEY && !env.CREDENTIALS_KEY_FILE)
      ctx.addIssue({ code: 'custom', path: ['CREDENTIALS_KEY'], message: 'CREDENTIALS_KEY or CREDENTIALS_KEY_FILE is required (32 bytes, base64 or hex)' });
    const plaintext = env.LDAP_URL.startsWith('ldap://') && !env.LDAP_STARTTLS;
    if (plaintext && !env.LDAP_ALLOW_INSECURE)
      ctx.addIssue({ code: 'custom', path: ['LDAP_URL'], message: 'plaintext ldap:// needs LDAP_STARTTLS=true (or LDAP_ALLOW_INSECURE=true on a test rig)' });
    if (plaintext && env.NODE_ENV === 'production')
      ctx.addIssue({ code: 'custom', path: ['LDAP_ALLOW_INSECURE'], message: 'insecure LDAP is refused when NODE_ENV=production' });
    if (env.HTTP_HEADERS_TIMEOUT_MS > env.HTTP_REQUEST_TIMEOUT_MS)
      ctx.addIssue({ code: 'custom', path: ['HTTP_HEADERS_TIMEOUT_MS'], message: 'must not exceed HTTP_REQUEST_TIMEOUT_MS' });
    if (env.STAFF_LDAP_URL) {
      if (!env.STAFF_BIND_DN) ctx.addIssue({ code: 'custom', path: ['STAFF_BIND_DN'], message: 'required with STAFF_LDAP_URL' });
      else {
        const staffBind = bindNameProblem(env.STAFF_BIND_DN, env.LDAP_DIALECT);
        if (staffBind) ctx.addIssue({ code: 'custom', path: ['STAFF_BIND_DN'], message: staffBind });
      }
      if (!env.STAFF_BIND_PASSWORD && !env.STAFF_BIND_PASSWORD_FILE)
        ctx.addIssue({
          code: 'custom',
          path: ['STAFF_BIND_PASSWORD'],
          message: 'STAFF_BIND_PASSWORD or STAFF_BIND_PASSWORD_FILE is required with STAFF_LDAP_URL',
        });
      if (!env.STAFF_SEARCH_BASE)
        ctx.addIssue({ code: 'custom', path: ['STAFF_SEARCH_BASE'], message: 'required with STAFF_LDAP_URL (LDAP_BASE_DN names the other directory)' });
      const staffPlain = env.STAFF_LDAP_URL.startsWith('ldap://') && !env.LDAP_STARTTLS;
      if (staffPlain && (!env.LDAP_ALLOW_INSECURE || env.NODE_ENV === 'production'))
        ctx.addIssue({ code: 'custom', path: ['STAFF_LDAP_URL'], message: 'plaintext ldap:// carries staff passwords: use ldaps:// (or LDAP_STARTTLS=true)' });
    } else {
      for (const key of ['STAFF_BIND_DN', 'STAFF_BIND_PASSWORD', 'STAFF_BIND_PASSWORD_FILE', 'STAFF_CA_FILE'] as const)
        if (env[key]) ctx.addIssue({ code: 'custom', path: [key], message: 'only used with STAFF_LDAP_URL' });
    }
    if (env.SMTP_URL && !env.MAIL_FROM) ctx.addIssue({ code: 'custom', path: ['MAIL_FROM'], message: 'required with SMTP_URL' });
    if (env.SMTP_URL && !env.PUBLIC_URL) ctx.addIssue({ code: 'custom', path: ['PUBLIC_URL'], message: 'required with SMTP_URL (mails link to the console)' });
    if (env.LDAP_STARTTLS && env.LDAP_URL.startsWith('ldaps://'))
      ctx.addIssue({ code: 'custom', path: ['LDAP_STARTTLS'], message: 'StartTLS applies to ldap:// URLs only' });
  });

export type Env = z.infer<typeof envSchema>;
