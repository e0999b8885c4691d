import { createHmac } from 'node:crypto';
import type { Policy } from '../config/policy.schema.js';
import type { Logger } from '../logger.js';
import type { RedisRecordStore } from '../store/redis-record.store.js';

export const NOTIFICATION_EVENTS = ['reminder', 'revoked', 'expired', 'failed', 'overdue'] as const;
export type NotificationEvent = (typeof NOTIFICATION_EVENTS)[number];

/** How domain code asks for a notification; delivery happens in the `notify` job. */
export interface Notifier {
  notify(event: NotificationEvent, requestId: string, at?: Date): Promise<void>;
}

/** Enqueues one job per configured webhook, so each is retried on its own. */
export type EnqueueDelivery = (data: { event: NotificationEvent; requestId: string; hook: number }, jobId: string, delayMs: number) => Promise<void>;

/** `sha256=<hex>` over `<timestamp>.<body>`, the receiver recomputes it with the shared secret. */
export function signPayload(secret: string, timestamp: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

/**
 * Webhook notifications (expiry reminders; revoked, expired, failed, overdue)
 * as HMAC-signed JSON. The payload carries ids and states, never secrets or
 * personal data.
 */
export class WebhookNotifier implements Notifier {
  constructor(
    private readonly deps: {
      webhooks: Policy['webhooks'];
      store: RedisRecordStore;
      enqueue: EnqueueDelivery;
      logger: Logger;
      now: () => Date;
      fetch?: typeof fetch;
    },
  ) {}

  async notify(event: NotificationEvent, requestId: string, at?: Date): Promise<void> {
    const delayMs = at ? Math.max(0, at.getTime() - this.deps.now().getTime()) : 0;
    for (const [hook, webhook] of this.deps.webhooks.entries()) {
      if (webhook.events && !webhook.events.includes(event)) continue;
      await this.deps.enqueue({ event, requestId, hook }, `notify-${event}-${requestId}-${hook}`, delayMs);
    }
  }

  /** The `notify` job: one POST; a non-2xx answer throws so the queue retries with backoff. */
  async deliver(data: { event: NotificationEvent; requestId: string; hook: number }): Promise<void> {
    const webhook = this.deps.webhooks[data.hook];
    if (!webhook) return;
    const request = await this.deps.store.getRequest(data.requestId);
    if (!request) return;
    // A reminder for access that already ended (or was revoked early) is noise.
    if (data.event === 'reminder' && !['approved', 'provisioning', 'active'].includes(request.status)) return;
    const body = JSON.stringify({
      event: data.event,
      at: this.deps.now().toISOString(),
      request: {
        id: request.id,
        status: request.status,
        vendorId: request.vendorId,
        personId: request.personId,
        requester: request.requester,
        validFrom: request.validFrom,
        validTo: request.validTo,
        username: request.account?.username ?? null,
        revocation: request.revocation ?? null,
        failure: request.failure?.reason ?? null,
      },
    });
    const timestamp = String(Math.floor(this.deps.now().getTime() / 1000));
    const response = await (this.deps.fetch ?? fetch)(webhook.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-leasehold-event': data.event,
        'x-leasehold-timestamp': timestamp,
        'x-leasehold-signature': signPayload(webhook.secret, timestamp, body),
      },
      body,
      signal: AbortSignal.timeout(10_000),
    });
    if (!response.ok) throw new Error(`webhook ${new URL(webhook.url).host} answered ${response.status}`);
    this.deps.logger.info('notification delivered', { event: data.event, requestId: data.requestId, hook: data.hook });
  }
}
