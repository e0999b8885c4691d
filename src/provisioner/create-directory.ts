import type { Config } from '../config/load-config.js';
import type { Logger } from '../logger.js';
import type { DirectoryPort } from '../domain/ports/directory.port.js';
import { LdapConnection } from './ldap/ldap-connection.js';

/**
 * A connection to the directory the configuration names (LDAP_URL, the
 * service account, its TLS settings), with a pool of its own.
 */
export function directoryConnection(config: Config, logger: Logger, poolSize: number): LdapConnection {
  const { env } = config;
  return new LdapConnection({
    url: env.LDAP_URL,
    bindDn: env.LDAP_BIND_DN,
    bindPassword: config.ldapBindPassword,
    ca: config.ldapCa,
    startTls: env.LDAP_STARTTLS,
    allowInsecure: env.LDAP_ALLOW_INSECURE,
    timeoutMs: env.LDAP_TIMEOUT_MS,
    poolSize,
    logger,
  });
}

/** Builds the directory adapter the configuration names (LDAP_DIALECT). */
export async function createDirectory(config: Config, logger: Logger): Promise<DirectoryPort> {
  const { env, policy } = config;
  const connection = directoryConnection(config, logger, Math.min(16, Math.max(2, env.WORKER_CONCURRENCY)));
  const common = { connection, vendorOu: env.LDAP_VENDOR_OU, baseDn: env.LDAP_BASE_DN, privilegedGroups: policy.privilegedGroups, logger };
  // Each deployment loads only its own dialect's adapter.
  if (env.LDAP_DIALECT === 'ad') {
    const { AdDirectory } = await import('./ad/ad.directory.js');
    return new AdDirectory(common);
  }
  const { OpenLdapDirectory } = await import('./openldap/openldap.directory.js');
  const { checkReconcileIndexes, reportReconcileIndexes } = await import('./openldap/openldap-indexes.js');
  // Reconciliation's group searches need equality indexes: checked in the background, never holding up or failing start-up.
  void checkReconcileIndexes(connection, env.LDAP_BASE_DN).then((check) => reportReconcileIndexes(check, logger));
  return new OpenLdapDirectory(common);
}
