import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Registry } from 'prom-client';
import { sessionRoutes } from '../../api/routes/session.routes.js';
import type { RouteSpec } from '../../api/route.js';
import type { Config } from '../../config/load-config.js';
import type { Logger } from '../../logger.js';
import { LdapConnection } from '../../provisioner/ldap/ldap-connection.js';
import type { RecordStore } from '../../store/record-store.js';
import type { Transactor } from '../../store/transactor.js';
import { AccesslogImporter, ldapAccesslogReader, scheduleAccesslogImport } from './accesslog-importer.js';
import { IncidentService } from './incident.service.js';
import { SessionIngestService } from './session-ingest.service.js';
import { createSessionMetrics } from './session-metrics.js';
import { SessionQueryStore } from './session-query.store.js';
import { SessionReviewService } from './session-review.service.js';
import { SyslogListener } from './syslog-listener.js';

/** The session-log feature, assembled for the composition root (service.ts). */
export interface SessionModule {
  ingest: SessionIngestService;
  routes(): RouteSpec[];
  /** Starts the syslog listener when a port is configured; resolves with the port it listens on. */
  startSyslog(host: string, port: number | undefined): Promise<number | undefined>;
  /** The `accesslog-import` job (a no-op where there is no OpenLDAP accesslog). */
  importAccesslog(): Promise<void>;
  /** Upserts the repeating `accesslog-import` job when the directory is OpenLDAP. */
  scheduleAccesslog(maintenance: Queue): Promise<void>;
  close(): Promise<void>;
}

/**
 * Builds the session-log parts from what the composition root already has.
 * `accesslog` is false when the directory is not a configured OpenLDAP
 * (Active Directory has no accesslog; tests inject a fake directory).
 */
export function createSessionModule(deps: {
  config: Config;
  redis: Redis;
  store: RecordStore;
  tx: Transactor;
  registry: Registry;
  logger: Logger;
  now: () => Date;
  accesslog: boolean;
}): SessionModule {
  const { config, redis, store, tx, logger, now } = deps;
  const { env, policy } = config;
  const keys = store.keys;
  const metrics = createSessionMetrics(deps.registry);
  const ingest = new SessionIngestService({ keys, tx, policy: policy.sessions, metrics, now });
  const reviews = new SessionReviewService({ store, tx, now });
  const incidents = new IncidentService({ keys, tx, reviews, now });
  const query = new SessionQueryStore(redis, keys);
  let listener: SyslogListener | undefined;

  const withAccesslog = deps.accesslog && env.LDAP_DIALECT === 'openldap';
  // Its own small connection: the import's paged searches should not queue behind provisioning.
  const connection = withAccesslog
    ? new LdapConnection({
        url: env.LDAP_URL, bindDn: env.LDAP_BIND_DN, bindPassword: config.ldapBindPassword, ca: config.ldapCa,
        startTls: env.LDAP_STARTTLS, allowInsecure: env.LDAP_ALLOW_INSECURE, timeoutMs: env.LDAP_TIMEOUT_MS, poolSize: 1,
        logger: logger.child({ component: 'accesslog' }),
      })
    : undefined;
  const importer = connection
    ? new AccesslogImporter({
        read: ldapAccesslogReader(connection), redis, keys, ingest, vendorOu: env.LDAP_VENDOR_OU,
        source: `ldap:${new URL(env.LDAP_URL).hostname}`, logger: logger.child({ component: 'accesslog' }),
      })
    : undefined;

  return {
    ingest,
    routes: () => sessionRoutes({ ingest, query, reviews, incidents, now }),
    async startSyslog(host, port) {
      if (port === undefined) return undefined;
      listener = new SyslogListener({
        host, port, logger: logger.child({ component: 'syslog' }), metrics, now,
        // The listener audits one summary per sending address and period, not every flush.
        ingest: (events) => ingest.ingest(events, { origin: 'syslog', actor: 'syslog', audit: 'never' }),
        audit: (events) => tx.run([], () => Promise.resolve({ events, result: undefined })),
        auditIntervalMs: policy.sessions.syslogAuditSeconds * 1000,
      });
      return listener.start();
    },
    async importAccesslog() {
      if (importer) await importer.run();
    },
    async scheduleAccesslog(maintenance) {
      if (importer) await scheduleAccesslogImport(maintenance, policy.sessions.accesslogImportSeconds * 1000);
    },
    async close() {
      await listener?.close();
      await connection?.close();
    },
  };
}
