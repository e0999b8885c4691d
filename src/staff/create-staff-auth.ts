import type { Redis } from 'ioredis';
import type { AuditInput } from '../audit/audit-event.js';
import type { AuthFailure } from '../api/auth-failure-audit.js';
import type { Config } from '../config/load-config.js';
import type { Logger } from '../logger.js';
import type { RedisKeys } from '../store/redis-keys.js';
import { LdapConnection } from '../provisioner/ldap/ldap-connection.js';
import { LoginThrottle } from './login-throttle.js';
import { StaffAuthService } from './staff-auth.service.js';
import { StaffDirectory } from './staff-directory.js';
import type { SessionLimits } from './staff-session.js';
import { StaffSessionStore } from './staff-session.store.js';

export interface StaffAuthParts {
  service: StaffAuthService;
  limits: SessionLimits;
  /** PUBLIC_URL's origin, when set. */
  publicOrigin?: string;
  close(): Promise<void>;
}

/**
 * Builds staff sign-in from the configuration: the directory the staff live
 * in (STAFF_LDAP_URL with its own service account, or LDAP_URL's), over a
 * small connection of its own so that sign-ins do not queue behind
 * provisioning; sessions and the throttle in Redis.
 */
/**
 * The staff directory from the configuration: STAFF_LDAP_URL with its own
 * service account, or LDAP_URL's, over a small connection of its own (so
 * that its searches do not queue behind provisioning). Sign-in uses it, and
 * so does mail (src/notify/) to find role members and their addresses.
 */
export function createStaffDirectory(
  config: Config,
  deps: { now: () => Date; logger: Logger },
): { directory: StaffDirectory; connection: LdapConnection; searchBase: string; groupBase: string } {
  const { env, policy } = config;
  const separate = env.STAFF_LDAP_URL !== undefined;
  const transport = {
    url: env.STAFF_LDAP_URL ?? env.LDAP_URL,
    ca: separate ? config.staffCa : config.ldapCa,
    startTls: env.LDAP_STARTTLS,
    allowInsecure: env.LDAP_ALLOW_INSECURE,
    timeoutMs: env.LDAP_TIMEOUT_MS,
  };
  const connection = new LdapConnection({
    ...transport,
    bindDn: separate ? env.STAFF_BIND_DN! : env.LDAP_BIND_DN,
    bindPassword: separate ? config.staffBindPassword! : config.ldapBindPassword,
    poolSize: 2,
    logger: deps.logger,
  });
  const searchBase = env.STAFF_SEARCH_BASE ?? env.LDAP_BASE_DN;
  // A separate staff directory has no LDAP_BASE_DN of its own: its groups are looked for under the search base.
  const groupBase = separate ? searchBase : env.LDAP_BASE_DN;
  const directory = new StaffDirectory({
    dialect: env.LDAP_DIALECT,
    connection,
    userConnection: transport,
    searchBase,
    groupBase,
    loginAttribute: policy.staff.loginAttribute ?? (env.LDAP_DIALECT === 'ad' ? 'sAMAccountName' : 'uid'),
    now: deps.now,
  });
  return { directory, connection, searchBase, groupBase };
}

export function createStaffAuth(
  config: Config,
  deps: {
    redis: Redis;
    keys: RedisKeys;
    audit: (event: AuditInput) => Promise<void>;
    authFailures: { failed(failure: AuthFailure): Promise<void> };
    now: () => Date;
    logger: Logger;
  },
): StaffAuthParts {
  const { env, policy } = config;
  const { directory, connection } = createStaffDirectory(config, deps);
  const limits: SessionLimits = {
    idleMs: policy.staff.idleMinutes * 60_000,
    absoluteMs: policy.staff.absoluteHours * 3_600_000,
    roleRefreshMs: policy.staff.roleRefreshMinutes * 60_000,
  };
  const service = new StaffAuthService({
    directory,
    sessions: new StaffSessionStore(deps.redis, deps.keys),
    throttle: new LoginThrottle({ redis: deps.redis, keys: deps.keys, now: deps.now }),
    roles: policy.staff.roles,
    limits,
    vendorOu: env.LDAP_VENDOR_OU,
    audit: deps.audit,
    authFailures: deps.authFailures,
    now: deps.now,
  });
  return {
    service,
    limits,
    ...(env.PUBLIC_URL ? { publicOrigin: new URL(env.PUBLIC_URL).origin } : {}),
    close: () => connection.close(),
  };
}
