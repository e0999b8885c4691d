import { createHmac } from 'node:crypto';
import type { Policy } from '../config/policy.schema.js';
import type { Logger } from '../logger.js';
import type { Stored } from '../domain/ports/domain-store.port.js';
import type { AccessRequest } from '../domain/types.js';
import type { SessionRecord } from '../sessions/session-record.js';

/**
 * Every event a notification may be sent for. The request events name a
 * request id; `review.overdue` a session id; `room.review_overdue` the start
 * of the machine-room register period (its date) that waits for review.
 */
export const NOTIFICATION_EVENTS = [
  'reminder',
  'revoked',
  'expired',
  'failed',
  'overdue',
  'request.filed',
  'exception.requested',
  'approved',
  'rejected',
  'active',
  'review.overdue',
  'room.review_overdue',
] as const;
export type NotificationEvent = (typeof NOTIFICATION_EVENTS)[number];

/** The events whose subject is not a request. */
export const NON_REQUEST_EVENTS: readonly NotificationEvent[] = ['review.overdue', 'room.review_overdue'];

/** How domain code asks for a notification; delivery happens in queue jobs (webhooks: `notify`; mail: `mail-fanout`, `mail`). */
export interface Notifier {
  /** `subjectId`: the request id, or for `review.overdue` the session id, for `room.review_overdue` the period's start date. */
  notify(event: NotificationEvent, subjectId: string, at?: Date): Promise<void>;
}

/** One webhook delivery. Jobs queued before subjects were generalised carry `requestId` instead of `subjectId`. */
export interface WebhookJob {
  event: NotificationEvent;
  subjectId?: string;
  requestId?: string;
  hook: number;
}

/** Enqueues one job per configured webhook, so each is retried on its own. */
export type EnqueueDelivery = (data: WebhookJob, jobId: string, delayMs: number) => Promise<void>;

/** The machine-room register's overdue review, when the rooms feature is wired in. */
export interface RoomReviewSource {
  overdueReview(now: Date): Promise<{ periodStart: string | Date; dueAt: string | Date } | null>;
}

/** `sha256=<hex>` over `<timestamp>.<body>`, the receiver recomputes it with the shared secret. */
export function signPayload(secret: string, timestamp: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

const iso = (v: string | Date) => (typeof v === 'string' ? v : v.toISOString());

/**
 * Webhook notifications as HMAC-signed JSON. The payload carries ids and
 * states, never secrets or personal data. Request events keep the payload
 * they always had (`{event, at, request}`); session and room events carry
 * `session` or `roomRegister` instead.
 */
export class WebhookNotifier implements Notifier {
  constructor(
    private readonly deps: {
      webhooks: Policy['webhooks'];
      store: { getRequest(id: string): Promise<Stored<AccessRequest> | null> };
      /** Sessions, for `review.overdue`. */
      sessions?: { getSession(id: string): Promise<SessionRecord | null> };
      /** sessions.reviewDueDays, to state when the review fell due. */
      reviewDueDays?: number;
      rooms?: RoomReviewSource;
      enqueue: EnqueueDelivery;
      logger: Logger;
      now: () => Date;
      fetch?: typeof fetch;
    },
  ) {}

  async notify(event: NotificationEvent, subjectId: string, at?: Date): Promise<void> {
    const delayMs = at ? Math.max(0, at.getTime() - this.deps.now().getTime()) : 0;
    for (const [hook, webhook] of this.deps.webhooks.entries()) {
      if (webhook.events && !webhook.events.includes(event)) continue;
      // Request events keep their historical payload field, so jobs read by an older worker still deliver.
      const data: WebhookJob = NON_REQUEST_EVENTS.includes(event) ? { event, subjectId, hook } : { event, requestId: subjectId, hook };
      await this.deps.enqueue(data, `notify-${event}-${subjectId}-${hook}`.replaceAll(':', '_'), delayMs);
    }
  }

  /** The `notify` job: one POST; a non-2xx answer throws so the queue retries with backoff. */
  async deliver(data: WebhookJob): Promise<void> {
    const webhook = this.deps.webhooks[data.hook];
    if (!webhook) return;
    const subjectId = data.subjectId ?? data.requestId;
    if (!subjectId) return;
    const subject = await this.subject(data.event, subjectId);
    if (!subject) return;
    const body = JSON.stringify({ event: data.event, at: this.deps.now().toISOString(), ...subject });
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
    this.deps.logger.info('notification delivered', { event: data.event, subjectId, hook: data.hook });
  }

  /** The payload's subject, or null when there is nothing (left) to tell. */
  private async subject(event: NotificationEvent, id: string): Promise<Record<string, unknown> | null> {
    if (event === 'review.overdue') {
      const session = await this.deps.sessions?.getSession(id);
      // Reviewed in the meantime: no longer overdue.
      if (!session || session.review) return null;
      const dueMs = Date.parse(session.endedAt ?? session.lastAt) + (this.deps.reviewDueDays ?? 7) * 86_400_000;
      return {
        session: {
          id: session.id,
          account: session.account,
          requestId: session.requestId ?? null,
          vendorId: session.vendorId ?? null,
          source: session.source,
          firstAt: session.firstAt,
          lastAt: session.lastAt,
          flags: [...new Set(session.flags.map((f) => f.code))],
          reviewDueAt: new Date(dueMs).toISOString(),
        },
      };
    }
    if (event === 'room.review_overdue') {
      const overdue = await this.deps.rooms?.overdueReview(this.deps.now());
      if (!overdue || !iso(overdue.periodStart).startsWith(id)) return null;
      return { roomRegister: { periodStart: iso(overdue.periodStart), dueAt: iso(overdue.dueAt) } };
    }
    const request = await this.deps.store.getRequest(id);
    if (!request) return null;
    // A reminder for access that already ended (or was revoked early) is noise.
    if (event === 'reminder' && !['approved', 'provisioning', 'active'].includes(request.status)) return null;
    return {
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
    };
  }
}
