import { randomBytes } from 'node:crypto';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { stringify } from 'yaml';
import { sha256Hex } from '../../src/api/token-authenticator.js';
import { loadConfig } from '../../src/config/load-config.js';
import { createLogger } from '../../src/logger.js';
import { startService } from '../../src/start-service.js';
import { childDn } from '../../src/provisioner/ldap/escape.js';
import type { DirectoryInfo } from './directory-info.js';
import { startRedis } from './redis.rig.js';
import { sambaInfo, startSamba } from './samba.rig.js';
import { SAMBA_LAYOUT } from './samba-template.js';
import { slapdInfo, startSlapd } from './slapd.rig.js';
import { DEMO_STAFF, DEMO_STAFF_ROLES } from './slapd-seed.js';

function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.once('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => res(port));
    });
  });
}

const ROLES = {
  admin: ['admin'],
  requester: ['requester'],
  approver: ['approver'],
  auditor: ['auditor'],
  automation: ['automation'],
  logsource: ['log-source'],
} as const;

/**
 * `npm run dev`: a local Redis and a local directory (OpenLDAP with a demo tree,
 * or Samba AD with `-- --ad`) on loopback, then API + worker in this process.
 * Everything lives under .dev/ and is stopped (and removed) on Ctrl-C.
 */
async function main(): Promise<void> {
  const { values } = parseArgs({ options: { ad: { type: 'boolean', default: false }, port: { type: 'string', default: '8080' } } });
  const root = resolve('.dev');
  rmSync(root, { recursive: true, force: true });
  mkdirSync(join(root, 'redis'), { recursive: true });
  mkdirSync(join(root, 'slapd'), { recursive: true });
  const stops: (() => Promise<void>)[] = [];

  const redis = await startRedis({ port: await freePort(), dir: join(root, 'redis'), appendOnly: true });
  stops.push(() => redis.stop());
  // The demo group a request may grant, and a privileged one policy refuses, for the README walk-through.
  let directory: DirectoryInfo;
  let demoGroup: string;
  let privilegedGroup: string;
  if (values.ad) {
    const dc = await startSamba();
    stops.unshift(() => dc.stop());
    directory = sambaInfo(dc);
    demoGroup = childDn('CN', SAMBA_LAYOUT.ordinaryGroups[0], dc.groupsOu);
    privilegedGroup = `CN=Domain Admins,CN=Users,${dc.baseDn}`;
  } else {
    const slapd = await startSlapd({ dir: join(root, 'slapd'), ldapPort: await freePort(), ldapsPort: await freePort() });
    stops.unshift(() => slapd.stop());
    directory = slapdInfo(slapd);
    demoGroup = childDn('cn', 'erp-support', slapd.groupsOu);
    privilegedGroup = childDn('cn', 'wheel', slapd.groupsOu);
  }

  const tokens = Object.fromEntries(Object.keys(ROLES).map((name) => [name, `dev-${name}-${randomBytes(16).toString('hex')}`])) as Record<
    keyof typeof ROLES,
    string
  >;
  writeFileSync(
    join(root, 'tokens.json'),
    JSON.stringify({
      tokens: Object.entries(ROLES).map(([name, roles]) => ({ name: `dev-${name}`, roles, sha256: sha256Hex(tokens[name as keyof typeof ROLES]) })),
    }),
  );
  writeFileSync(join(root, 'ca.pem'), directory.caPem);
  writeFileSync(
    join(root, 'policy.yaml'),
    stringify({
      maxValidityDays: 30,
      sweepIntervalSeconds: 2,
      reconcileIntervalSeconds: 15,
      privilegedGroups: ['dba-team'],
      // Small segments, so that a demo sees the trail sealed into ARCHIVE_DIR within minutes.
      audit: { segmentEvents: 100, archiveMinutes: 5 },
      staff: { roles: DEMO_STAFF_ROLES },
      // Clauses 1.6.4/1.1.9: the initial password goes to the vendor person by a pickup link and code, not to the requester.
      credentials: { handover: 'vendor', pickupHours: 24, mustChangeAtFirstLogon: true },
    }),
  );
  const config = loadConfig({
    HOST: '127.0.0.1',
    PORT: values.port,
    REDIS_URL: redis.url,
    REDIS_PREFIX: 'leasehold-dev',
    LDAP_URL: directory.ldapsUrl,
    LDAP_DIALECT: directory.dialect,
    LDAP_BIND_DN: directory.bindDn,
    LDAP_BIND_PASSWORD: directory.bindPassword,
    LDAP_BASE_DN: directory.baseDn,
    LDAP_VENDOR_OU: directory.vendorsOu,
    LDAP_CA_FILE: join(root, 'ca.pem'),
    API_TOKENS_FILE: join(root, 'tokens.json'),
    POLICY_FILE: join(root, 'policy.yaml'),
    AUDIT_LOG_FILE: join(root, 'audit.jsonl'),
    // Sealed audit segments and session event bodies (docs/audit.md, docs/sessions.md).
    ARCHIVE_DIR: join(root, 'archive'),
    CREDENTIALS_KEY: randomBytes(32).toString('base64'),
    // The console is served over plain HTTP on loopback here: a Secure cookie would never come back.
    COOKIE_SECURE: 'false',
    ...(values.port !== '0' ? { PUBLIC_URL: `http://127.0.0.1:${values.port}` } : {}),
    LOG_LEVEL: 'info',
  });
  const logger = createLogger('info', false);
  const service = await startService(config, { mode: 'all', logger });
  stops.unshift(() => service.close());

  const env = [
    `export LEASEHOLD=${service.url}`,
    // What `npx leasehold audit …` reads: without these it checks the default store and finds nothing.
    `export REDIS_URL=${redis.url}`,
    `export REDIS_PREFIX=${config.env.REDIS_PREFIX}`,
    // And `npx leasehold archive` / `audit verify --archive $ARCHIVE_DIR`.
    `export ARCHIVE_DIR=${join(root, 'archive')}`,
    `export POLICY_FILE=${join(root, 'policy.yaml')}`,
    ...Object.entries(tokens).map(([name, token]) => `export ${name.toUpperCase()}_TOKEN=${token}`),
    `export GROUP_DN='${demoGroup}'`,
    `export PRIVILEGED_GROUP_DN='${privilegedGroup}'`,
    `export LDAP_URL=${directory.ldapsUrl}`,
    `export LDAPTLS_CACERT=${join(root, 'ca.pem')}`,
  ].join('\n');
  writeFileSync(join(root, 'env.sh'), `${env}\n`);
  const logins = DEMO_STAFF.filter((s) => s.role !== undefined)
    .map((s) => `    ${s.role.padEnd(10)} ${s.login.padEnd(10)} ${s.password}`)
    .join('\n');
  console.log(`
Leasehold dev stack is up (${directory.dialect}).
  Console:    ${service.url}/   — sign in with a demo login (role, login, password):
${logins}
  API:        ${service.url}   (OpenAPI: ${service.url}/openapi.json)
  directory:  ${directory.ldapsUrl}  vendor OU ${directory.vendorsOu}
  Redis:      ${redis.url}
Tokens for every role, the demo group DNs and the CA are in .dev/env.sh — in another shell:
  source .dev/env.sh     # then follow the README walk-through
Ctrl-C stops everything.
`);

  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    console.log('\nstopping…');
    for (const s of stops) await s().catch((err: unknown) => console.error(String(err)));
    process.exit(0);
  };
  process.on('SIGINT', () => void stop());
  process.on('SIGTERM', () => void stop());
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? (err.stack ?? err.message) : String(err));
  process.exit(1);
});
