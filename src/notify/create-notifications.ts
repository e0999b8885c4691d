import type { Redis } from 'ioredis';
import type { Config } from '../config/load-config.js';
import type { Logger } from '../logger.js';
import type { QueueBus } from '../queues/queue-bus.js';
import type { JobHandlers } from '../queues/worker-host.js';
import type { SessionQueries } from '../sessions/session-store.port.js';
import { createStaffDirectory } from '../staff/create-staff-auth.js';
import type { RedisKeys } from '../store/redis-keys.js';
import type { RedisRecordStore } from '../store/redis-record.store.js';
import { MailNotifier, type MailEnqueue } from './mail-notifier.js';
import { Notifications } from './notifications.js';
import { NotifyWatchService } from './notify-watch.service.js';
import { RedisReportedOnce } from './reported-once.js';
import { LdapRecipientDirectory } from './recipient-directory.js';
import { SmtpMailer } from './smtp-mailer.js';
import { WebhookNotifier, type Notifier, type RoomReviewSource } from './webhook-notifier.js';

export interface NotificationParts {
  /** What the domain and the provisioner call. */
  notifier: Notifier;
  /** The notification jobs' handlers, for the worker host's table. */
  handlers: Pick<JobHandlers, 'notify' | 'mail-fanout' | 'mail' | 'digest' | 'notify-watch'>;
  close(): Promise<void>;
}

/**
 * Builds notifications from the configuration: webhooks (policy.webhooks)
 * always, mail only with SMTP_URL (MAIL_FROM and PUBLIC_URL are then required
 * by the environment schema). Recipients are read from the staff directory
 * over a connection of its own, opened on the first mail job.
 */
export function createNotifications(
  config: Config,
  deps: {
    bus: QueueBus;
    redis: Redis;
    keys: RedisKeys;
    store: RedisRecordStore;
    sessions: Pick<SessionQueries, 'getSession' | 'listSessions' | 'overdue'>;
    /** The machine-room register (src/rooms/), when wired in. */
    rooms?: RoomReviewSource;
    logger: Logger;
    now: () => Date;
  },
): NotificationParts {
  const { env, policy } = config;
  const { bus, logger, now } = deps;
  const webhooks = new WebhookNotifier({
    webhooks: policy.webhooks,
    store: deps.store,
    sessions: deps.sessions,
    reviewDueDays: policy.sessions.reviewDueDays,
    ...(deps.rooms ? { rooms: deps.rooms } : {}),
    enqueue: (data, jobId, delayMs) => bus.add('notify', data, { jobId, delayMs }),
    logger: logger.child({ component: 'webhooks' }),
    now,
  });
  const channels: Notifier[] = [webhooks];
  const closers: (() => Promise<void>)[] = [];
  let mail: MailNotifier | undefined;
  if (env.SMTP_URL) {
    const staff = createStaffDirectory(config, { now, logger: logger.child({ component: 'mail-recipients' }) });
    closers.push(() => staff.connection.close());
    const mailer = new SmtpMailer(env.SMTP_URL, env.MAIL_FROM!);
    closers.push(() => Promise.resolve(mailer.close()));
    const enqueue = ((name: 'mail-fanout' | 'mail', data: never, jobId: string, delayMs: number) => bus.add(name, data, { jobId, delayMs })) as MailEnqueue;
    mail = new MailNotifier({
      enqueue,
      recipients: new LdapRecipientDirectory({
        dialect: env.LDAP_DIALECT,
        connection: staff.connection,
        accounts: staff.directory,
        roles: policy.staff.roles,
        groupBase: staff.groupBase,
        searchBase: staff.searchBase,
        vendorOu: env.LDAP_VENDOR_OU,
      }),
      mailer,
      store: deps.store,
      sessions: deps.sessions,
      ...(deps.rooms ? { rooms: deps.rooms } : {}),
      // Clauses 1.6.4/1.1.9: with handover to the vendor, the active mail asks for a pickup link, not a fetch.
      settings: { publicUrl: env.PUBLIC_URL!, timeZone: env.TZ, handover: policy.credentials.handover },
      logger: logger.child({ component: 'mail' }),
      now,
    });
    channels.push(mail);
  }
  const notifier = new Notifications(channels);
  const watch = new NotifyWatchService({
    sessions: deps.sessions,
    ...(deps.rooms ? { rooms: deps.rooms } : {}),
    reported: new RedisReportedOnce(deps.redis, deps.keys.notifications('reported-at'), deps.keys.notifications('reported')),
    notifier: webhooks,
    logger: logger.child({ component: 'notify-watch' }),
    now,
  });
  return {
    notifier,
    handlers: {
      notify: (d) => webhooks.deliver(d),
      'mail-fanout': async (d) => void (await mail?.fanout(d)),
      mail: async (d) => void (await mail?.deliver(d)),
      digest: async () => void (await mail?.digest()),
      'notify-watch': async () => void (await watch.run()),
    },
    async close() {
      for (const close of closers) await close();
    },
  };
}
