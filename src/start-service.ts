import type { Server } from 'node:http';
import { Redis } from 'ioredis';
import type { AuditInput } from './audit/audit-event.js';
import { AuditArchiver } from './audit/archive/audit-archiver.js';
import { SegmentFiles } from './audit/archive/segment-files.js';
import { AuditCheckpointer } from './audit/audit-checkpointer.js';
import { AuditMirror } from './audit/audit-mirror.js';
import { AuditQueryStore } from './audit/audit-query.store.js';
import { AuditVerifier } from './audit/audit-verifier.js';
import { createApp } from './api/create-app.js';
import { AuthFailureAudit } from './api/auth-failure-audit.js';
import { TokenAuthenticator } from './api/token-authenticator.js';
import { listenHttp } from './api/listen-http.js';
import { buildOpenApi } from './api/build-openapi.js';
import { apiRoutes } from './api/api-routes.js';
import { createStaffAuth } from './staff/create-staff-auth.js';
import type { Config } from './config/load-config.js';
import { CredentialHandoverService } from './domain/credential-handover.service.js';
import { GroupLookup } from './domain/group-lookup.js';
import { PersonErasureService } from './domain/person-erasure.service.js';
import { PersonExportService } from './domain/person-export.service.js';
import { EvidenceService } from './evidence/evidence.service.js';
import { registerRooms } from './evidence/evidence-rooms.js';
import { redisEvidenceTrail } from './evidence/evidence-trail.js';
import { RequestPolicy } from './domain/request-policy.js';
import { RequestService } from './domain/request.service.js';
import { VendorService } from './domain/vendor.service.js';
import type { Logger } from './logger.js';
import { createMetrics } from './metrics.js';
import { createDirectory, directoryConnection } from './provisioner/create-directory.js';
import type { DirectoryPort } from './domain/ports/directory.port.js';
import { ProvisionService } from './provisioner/provision.service.js';
import { createNotifications } from './notify/create-notifications.js';
import { ReconcileService } from './provisioner/reconcile.service.js';
import { RetentionService } from './provisioner/retention.service.js';
import { ExpiryAlarmService } from './provisioner/expiry-alarm.service.js';
import { RevokeService } from './provisioner/revoke.service.js';
import { SweepService } from './provisioner/sweep.service.js';
import { redisDurabilityProblems } from './store/redis-durability.js';
import { QueueBus } from './queues/queue-bus.js';
import { jitteredBackoff, repeatingJobs, runsRepeating, timerMs, type JobName } from './queues/job-registry.js';
import { ProvisionFeed } from './queues/provision-feed.js';
import { isPermanentFailure, errorMessage } from './errors.js';
import { WorkerHost } from './queues/worker-host.js';
import { AccesslogImportService, ldapAccesslogReader } from './sessions/accesslog-import.service.js';
import { IncidentService } from './sessions/incident.service.js';
import { SessionIngestService } from './sessions/session-ingest.service.js';
import { createSessionMetrics } from './sessions/session-metrics.js';
import { createSessionStorage } from './sessions/create-session-storage.js';
import { SessionArchiverService } from './sessions/session-archiver.service.js';
import { SessionReviewService } from './sessions/session-review.service.js';
import type { SessionStore } from './sessions/session-store.port.js';
import { SyslogListener } from './sessions/syslog-listener.js';
import { CredentialVault } from './store/credential-vault.js';
import { RedisDomainStore } from './store/redis-domain.store.js';
import { RedisRecordStore } from './store/redis-record.store.js';
import { RedisKeys } from './store/redis-keys.js';
import { redisOptions } from './store/redis-connection.js';
import { Transactor } from './store/transactor.js';
import { TokenStore } from './tokens/token.store.js';
import { RedisRoomStore } from './rooms/redis-room.store.js';
import { RoomRegisterService } from './rooms/room-register.service.js';

export type Mode = 'all' | 'api' | 'worker';

export interface ServiceOptions {
  mode: Mode;
  logger: Logger;
  now?: () => Date;
  /** Use this directory instead of building one from the config (unit tests). */
  directory?: DirectoryPort;
  version?: string;
}

export interface RunningService {
  /** The HTTP server when the API runs (listening on config HOST/PORT; PORT 0 = any free port). */
  server?: Server;
  url?: string;
  redis: Redis;
  directory: DirectoryPort;
  /** The JSON-lines audit mirror; `sync()` waits until it holds every committed event (when this process writes it). */
  auditMirror: AuditMirror;
  /** The syslog listener's TCP and UDP port, when SYSLOG_PORT is set and the API runs here. */
  syslogPort?: number;
  close(): Promise<void>;
}

/**
 * The composition root: builds every part from the configuration and hands
 * each constructor only what it uses. main.ts and the tests both start the
 * service through here.
 */
export async function startService(config: Config, options: ServiceOptions): Promise<RunningService> {
  const { env, policy } = config;
  const { logger, mode } = options;
  const now = options.now ?? (() => new Date());
  const redisAt = redisOptions(env);
  const redis = new Redis({ ...redisAt, maxRetriesPerRequest: 3, lazyConnect: false });
  redis.on('error', (err) => logger.warn('redis connection error', { component: 'redis', error: err.message }));
  const bullConnection = { ...redisAt, maxRetriesPerRequest: null };

  const durability = await redisDurabilityProblems(redis);
  if (durability.length && env.NODE_ENV === 'production') {
    await redis.quit();
    throw new Error(`refusing to start (NODE_ENV=production): ${durability.join('; ')}`);
  }
  for (const problem of durability) logger.warn(`unsafe Redis settings: ${problem}`, { component: 'redis' });
  // WATCH is per connection: transactions get their own.
  const txRedis = redis.duplicate();
  txRedis.on('error', (err) => logger.warn('redis connection error', { component: 'redis-tx', error: err.message }));

  const keys = new RedisKeys(env.REDIS_PREFIX);
  const store = new RedisRecordStore(redis, keys);
  // Behind Sentinel, a commit is confirmed only once a replica holds it (or a second has passed): what the API
  // acknowledged survives a failover of the primary (README, Operations: Redis Sentinel).
  const replication = env.REDIS_SENTINELS
    ? {
        replicas: 1,
        timeoutMs: 1000,
        onShort: (acked: number) =>
          logger.warn('a commit reached no replica within 1 s: it stands on the primary alone; not waiting for replicas for 5 s', {
            component: 'redis',
            acked,
          }),
      }
    : undefined;
  const tx = new Transactor(txRedis, keys, now, replication);
  // The domain's store port over the same records and transactions (issue 14): the services below take only this.
  const domainStore = new RedisDomainStore(store, tx);
  const metrics = createMetrics();
  const directory = options.directory ?? (await createDirectory(config, logger.child({ component: `${env.LDAP_DIALECT}-directory` })));
  const vault = new CredentialVault(config.credentialsKey);
  const bus = new QueueBus(
    bullConnection,
    keys.queuePrefix(),
    now,
    (queue, err) => logger.warn('queue connection error', { component: 'queue', queue, error: err.message }),
    { redis, keys: keys.provisionFeed() },
  );
  // Every Redis (re)connect: the alarms this process remembers queuing may be gone (a restart, a failover). Registered
  // before the worker's catch-up below, which then queues them again.
  redis.on('ready', () => bus.forgetQueuedAlarms());
  // Group verdicts are shared for a second: a burst of approvals naming the same groups asks the directory once.
  const requestPolicy = new RequestPolicy(policy, directory, { groupVerdictTtlMs: 1000 });
  // Session event bodies go to ARCHIVE_DIR or SESSION_REDIS_URL when set, else stay in this Redis (create-session-storage.ts).
  const sessionStorage = await createSessionStorage(config, { redis, records: store, tx, logger: logger.child({ component: 'sessions' }), now });
  const sessionStore = sessionStorage.store;
  // Webhooks, and mail when SMTP_URL is set; the room register is asked what is overdue only when a job runs.
  const notifications = createNotifications(config, {
    bus,
    redis,
    keys,
    store,
    sessions: sessionStore,
    rooms: { overdueReview: (at) => roomRegister.overdueReview(at) },
    logger: logger.child({ component: 'notifier' }),
    now,
  });
  const notifier = notifications.notifier;
  const requests = new RequestService({
    store: domainStore,
    policy: requestPolicy,
    jobs: bus,
    vault,
    notifier,
    reminderHours: policy.reminderHours,
    credentialHandover: policy.credentials.handover,
    now,
  });
  const vendors = new VendorService({ store: domainStore, requests, jobs: bus, now });
  const audit = (event: AuditInput) => tx.append(event);
  // Sealed audit segments (issue 13): read by every reader of the trail, written by the archiver below.
  const auditArchive = env.ARCHIVE_DIR ? new SegmentFiles(env.ARCHIVE_DIR) : undefined;
  // Listen before the first commit so the start-up event is mirrored at once by the writer.
  const auditMirror = new AuditMirror({
    redis,
    keys,
    file: env.AUDIT_LOG_FILE,
    syslogUrl: env.AUDIT_SYSLOG_URL,
    reanchorKey: config.auditReanchorKey,
    archive: auditArchive,
    logger: logger.child({ component: 'audit-mirror' }),
  });
  tx.onCommit(auditMirror.onCommit);
  await auditMirror.start();
  const checkpointer = new AuditCheckpointer({
    redis,
    keys,
    now,
    audit,
    logger: logger.child({ component: 'audit-checkpoint' }),
    reanchorKey: config.auditReanchorKey,
    intervalMs: timerMs('audit-checkpoint', config),
    shouldRun: () => auditMirror.isLeader(),
  });

  await audit({
    actor: 'system',
    action: 'service.started',
    subject: `process:${process.pid}`,
    outcome: 'success',
    details: {
      mode,
      dialect: env.LDAP_DIALECT,
      ldapUrl: env.LDAP_URL,
      vendorOu: env.LDAP_VENDOR_OU,
      policy,
      tokens: config.tokens.map((t) => ({ name: t.name, roles: t.roles })),
      ldapTls: { startTls: env.LDAP_STARTTLS, allowInsecure: env.LDAP_ALLOW_INSECURE, customCa: Boolean(env.LDAP_CA_FILE) },
      nodeEnv: env.NODE_ENV ?? null,
      audit: { file: env.AUDIT_LOG_FILE, syslog: env.AUDIT_SYSLOG_URL ?? null, checkpointSeconds: env.AUDIT_CHECKPOINT_INTERVAL_SECONDS },
      // Where the trail's sealed segments and the session logs are kept (issue 13): an auditor reads it here.
      archive: { dir: env.ARCHIVE_DIR ?? null, sessionBodies: sessionStorage.bodies },
    },
  });
  checkpointer.start();
  // Full segments are sealed into ARCHIVE_DIR where jobs run (one process at a time, under a lease).
  const archiver =
    auditArchive && mode !== 'api'
      ? new AuditArchiver({
          redis,
          keys,
          tx,
          files: auditArchive,
          segmentEvents: policy.audit.segmentEvents,
          reanchorKey: config.auditReanchorKey,
          intervalMs: timerMs('audit-archive', config),
          logger: logger.child({ component: 'audit-archive' }),
        })
      : undefined;
  archiver?.start();
  // Session logs arrive over HTTP, syslog and the accesslog; all three store through this one ingest.
  const sessionMetrics = createSessionMetrics(metrics.registry);
  const sessionIngest = new SessionIngestService({ store: sessionStore, policy: policy.sessions, metrics: sessionMetrics, now });
  // The machine-room register (clause 1.8): the API records and reviews it; the notifier asks it what is overdue.
  const roomRegister = new RoomRegisterService({
    store: new RedisRoomStore({ redis, keys, tx }),
    records: domainStore,
    reviewDueDays: policy.roomRegister.reviewDueDays,
    now,
  });

  const closers: (() => Promise<unknown>)[] = [];
  let server: Server | undefined;
  let url: string | undefined;
  let syslogPort: number | undefined;

  if (mode !== 'api') {
    const provisioner = new ProvisionService({
      store: domainStore,
      directory,
      requestPolicy,
      policy,
      vault,
      metrics,
      notifier,
      logger: logger.child({ component: 'provisioner' }),
      now,
    });
    const revoker = new RevokeService({ store: domainStore, directory, metrics, notifier, logger: logger.child({ component: 'revoker' }), now });
    // Revocations are short and wait on round trips, not CPU: 4× as many at once let a mass expiry batch its
    // commits and group changes (bench: 2,000 expiries 25% sooner, less CPU per account).
    const revocationConcurrency = env.WORKER_CONCURRENCY * 4;
    const alarms = new ExpiryAlarmService({
      store: domainStore,
      revoker,
      concurrency: revocationConcurrency,
      logger: logger.child({ component: 'expiry-alarm' }),
    });
    const sweeper = new SweepService({ store: domainStore, jobs: bus, vendors, metrics, notifier, logger: logger.child({ component: 'sweeper' }), now });
    const reconciler = new ReconcileService({ store: domainStore, directory, logger: logger.child({ component: 'reconciler' }), now });
    const purger = new RetentionService({
      store: domainStore,
      directory,
      retentionDays: policy.retentionDays,
      logger: logger.child({ component: 'retention' }),
      now,
    });
    const sessionArchiver = sessionStorage.archive
      ? new SessionArchiverService({
          store: sessionStore,
          archive: sessionStorage.archive,
          retentionDays: policy.sessions.retentionDays,
          logger: logger.child({ component: 'session-archive' }),
          now,
        })
      : undefined;
    const accesslog = runsRepeating('accesslog-import', config)
      ? accesslogImporter(config, sessionStore, sessionIngest, logger.child({ component: 'accesslog' }))
      : undefined;
    const giveUp = async (name: JobName, data: unknown, reason: string): Promise<void> => {
      metrics.jobFailures.inc({ job: name });
      if (name === 'provision') await provisioner.fail((data as { requestId: string }).requestId, reason);
    };
    const host = new WorkerHost({
      connection: bullConnection,
      prefix: keys.queuePrefix(),
      lockMs: env.JOB_LOCK_MS,
      logger: logger.child({ component: 'worker' }),
      concurrency: { provisioning: env.WORKER_CONCURRENCY, revocation: revocationConcurrency, maintenance: 1, notifications: 4 },
      handlers: {
        provision: (d) => provisioner.provision(d.requestId, d.attempt),
        revoke: (d) => revoker.revoke(d.requestId, d.trigger),
        expire: async (d) => void (await alarms.expire(d.slot)),
        depart: async (d) => void (await vendors.completeDeparture(d.personId)),
        sweep: async () => void (await sweeper.sweep()),
        reconcile: async () => void (await reconciler.reconcile()),
        purge: async () => void (await purger.purge()),
        'session-archive': async () => void (await sessionArchiver?.run()),
        ...notifications.handlers,
        'accesslog-import': async () => void (await accesslog?.importer.run()),
      },
      onGiveUp: giveUp,
    });
    host.start();
    closers.push(() => host.close());
    // Provisioning's common path: the store-kept feed; a failed attempt becomes a BullMQ job with backoff (above).
    const feedLogger = logger.child({ component: 'provision-feed' });
    const feed = new ProvisionFeed({
      redis,
      keys: keys.provisionFeed(),
      concurrency: env.WORKER_CONCURRENCY,
      leaseMs: env.JOB_LOCK_MS,
      run: (e) => provisioner.provision(e.requestId, e.attempt),
      failed: async (e, err) => {
        const error = errorMessage(err);
        if (isPermanentFailure(err)) {
          feedLogger.error('provisioning gave up', { requestId: e.requestId, attempt: e.attempt, error });
          return giveUp('provision', e, error);
        }
        feedLogger.warn('provisioning failed, will retry', { requestId: e.requestId, attempt: e.attempt, error });
        await bus.provisionJob(e.requestId, e.attempt, jitteredBackoff(1));
      },
      logger: feedLogger,
    });
    feed.start();
    closers.push(() => feed.close());
    // After the worker, so that a running import finishes first.
    if (accesslog) closers.push(() => accesslog.connection.close());
    await bus.scheduleRepeating(repeatingJobs(config));
    // Catch-up: whatever fell due while no worker ran is queued now, not at the next sweep.
    await sweeper.catchUp();
    // And again whenever Redis comes back (a restart, a Sentinel failover): a job queued in the last moments
    // before may not have reached the disk or the replica, while the approval it belongs to did.
    const catchUpAfterReconnect = () =>
      void sweeper.catchUp().catch((err: Error) => logger.warn('catch-up after Redis reconnect failed', { component: 'sweeper', error: err.message }));
    redis.on('ready', catchUpAfterReconnect);
    closers.push(() => Promise.resolve(redis.off('ready', catchUpAfterReconnect)));
  }

  if (mode !== 'worker') {
    const holder: { openapi?: unknown } = {};
    const authFailures = new AuthFailureAudit({ redis, keys, tx, audit, logger: logger.child({ component: 'auth-failures' }), now });
    const staff = createStaffAuth(config, { redis, keys, audit, authFailures, now, logger: logger.child({ component: 'staff-auth' }) });
    closers.push(() => staff.close());
    const reviews = new SessionReviewService({ store: sessionStore, now });
    const tokens = new TokenStore({ redis, keys, tx, reservedNames: config.tokens.map((t) => t.name), now });
    const routes = apiRoutes({
      auth: { staff: staff.service, cookieSecure: env.COOKIE_SECURE, limits: staff.limits, publicOrigin: staff.publicOrigin },
      console: { policy, timeZone: env.TZ },
      system: { redis, directory, registry: metrics.registry, openapi: () => holder.openapi },
      vendors: { vendors, requests, store },
      personExport: {
        exporter: new PersonExportService({ store: domainStore, sessions: sessionStore, now }),
        eraser: new PersonErasureService({ store: domainStore, directory, personDays: policy.retention.personDays, now }),
      },
      evidence: {
        evidence: new EvidenceService({
          store: domainStore,
          sessions: sessionStore,
          trail: redisEvidenceTrail(new AuditQueryStore(redis, keys, {}, auditArchive), new AuditVerifier(redis, keys, config.auditReanchorKey, auditArchive)),
          rooms: registerRooms(roomRegister),
          now,
        }),
        timeZone: env.TZ,
      },
      lookups: { groups: new GroupLookup({ directory, policy: requestPolicy }) },
      requests: { requests, store, now },
      handover: {
        handover: new CredentialHandoverService({
          store: domainStore,
          vault,
          pickupHours: policy.credentials.pickupHours,
          mustChangeAtFirstLogon: policy.credentials.mustChangeAtFirstLogon,
          // The console's public address; without PUBLIC_URL, the address this API listens on.
          publicUrl: () => env.PUBLIC_URL ?? url ?? `http://${env.HOST}:${env.PORT}`,
          now,
        }),
      },
      sessions: {
        ingest: sessionIngest,
        query: sessionStore,
        reviews,
        incidents: new IncidentService({ store: sessionStore, now }),
        now,
      },
      audit: {
        query: new AuditQueryStore(redis, keys, {}, auditArchive),
        verifier: new AuditVerifier(redis, keys, config.auditReanchorKey, auditArchive),
        audit,
        mirrorFile: env.AUDIT_LOG_FILE,
        now,
      },
      tokens: { tokens, fileTokens: config.tokens },
      roomVisits: { register: roomRegister },
    });
    holder.openapi = buildOpenApi(routes, options.version ?? '0.1.0');
    authFailures.start();
    const app = createApp({
      routes,
      auth: new TokenAuthenticator(config.tokens, tokens),
      logger: logger.child({ component: 'api' }),
      audit,
      authFailures,
      rateLimitPerMinute: env.RATE_LIMIT_PER_MINUTE,
      trustProxy: env.TRUST_PROXY,
      redisDown: () => redis.status !== 'ready' || txRedis.status !== 'ready',
      staff: staff.service,
      publicOrigin: staff.publicOrigin,
    });
    server = await listenHttp(app, env.HOST, env.PORT, {
      headersTimeoutMs: env.HTTP_HEADERS_TIMEOUT_MS,
      requestTimeoutMs: env.HTTP_REQUEST_TIMEOUT_MS,
      keepAliveTimeoutMs: env.HTTP_KEEP_ALIVE_TIMEOUT_MS,
      maxConnections: env.HTTP_MAX_CONNECTIONS,
    });
    const address = server.address();
    url = typeof address === 'object' && address ? `http://${env.HOST}:${address.port}` : undefined;
    closers.unshift(
      () =>
        new Promise<void>((resolve) => {
          server!.close(() => resolve());
          server!.closeIdleConnections();
        }).then(() => authFailures.close()), // counts of the current minute are not lost at shutdown
    );
    // Session events arrive by syslog too: an ingest surface, so it runs with the API.
    if (env.SYSLOG_PORT !== undefined) {
      const listener = new SyslogListener({
        host: env.HOST,
        port: env.SYSLOG_PORT,
        logger: logger.child({ component: 'syslog' }),
        metrics: sessionMetrics,
        now,
        // The listener audits one summary per sending address and period, not every flush.
        ingest: (events) => sessionIngest.ingest(events, { origin: 'syslog', actor: 'syslog', audit: 'never' }),
        audit: (events) => tx.append(...events),
        auditIntervalMs: timerMs('syslog-audit-summary', config),
      });
      syslogPort = await listener.start();
      closers.push(() => listener.close());
    }
  }

  return {
    server,
    url,
    redis,
    directory,
    auditMirror,
    syslogPort,
    async close() {
      for (const close of closers) await close();
      await audit({ actor: 'system', action: 'service.stopped', subject: `process:${process.pid}`, outcome: 'success', details: { mode } }).catch(
        () => undefined,
      );
      // After the API and workers stop, so that their last events reach the mirror.
      await archiver?.stop();
      await checkpointer.stop();
      await auditMirror.close();
      await bus.close();
      await notifications.close();
      await sessionStorage.close();
      await directory.close();
      await Promise.all([redis.quit().catch(() => undefined), txRedis.quit().catch(() => undefined)]);
    },
  };
}

/**
 * The `accesslog-import` job's importer, reading the directory the
 * configuration names over a small connection of its own (same URL,
 * credentials and TLS settings): its paged searches should not queue behind
 * provisioning on the directory adapter's pool.
 */
function accesslogImporter(config: Config, store: SessionStore, ingest: SessionIngestService, logger: Logger) {
  const { env } = config;
  const connection = directoryConnection(config, logger, 1);
  const importer = new AccesslogImportService({
    read: ldapAccesslogReader(connection),
    store,
    ingest,
    vendorOu: env.LDAP_VENDOR_OU,
    source: `ldap:${new URL(env.LDAP_URL).hostname}`,
    logger,
  });
  return { connection, importer };
}
