import nock from 'nock';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NotifyWatchService, REPORT_MEMORY_MS } from '../../src/notify/notify-watch.service.js';
import { signPayload, WebhookNotifier, type NotificationEvent } from '../../src/notify/webhook-notifier.js';
import type { SessionRecord } from '../../src/sessions/session-record.js';
import { silentLogger } from '../support/log-capture.js';
import type { RedisRecordStore } from '../../src/store/redis-record.store.js';

const request = {
  id: 'req_1',
  status: 'revoked',
  vendorId: 'ven_1',
  personId: 'per_1',
  requester: 'ops',
  validFrom: 'a',
  validTo: 'b',
  account: { username: 'v-acme-chen-1', state: 'disabled' },
  revocation: { trigger: 'manual' },
};
const store = { getRequest: () => Promise.resolve(request) } as unknown as RedisRecordStore;

describe('webhook notifications', () => {
  beforeAll(() => nock.disableNetConnect());
  afterAll(() => {
    nock.cleanAll();
    nock.enableNetConnect();
  });

  it('posts HMAC-signed JSON that the receiver can verify', async () => {
    let seen: { body: string; headers: Record<string, string | string[]> } | undefined;
    nock('https://hooks.school.test')
      .post('/leasehold')
      .reply(function (_uri, body) {
        seen = { body: JSON.stringify(body), headers: this.req.headers };
        return [204];
      });
    const notifier = new WebhookNotifier({
      webhooks: [{ url: 'https://hooks.school.test/leasehold', secret: 's'.repeat(32) }],
      store,
      enqueue: () => Promise.resolve(),
      logger: silentLogger(),
      now: () => new Date('2026-11-25T00:00:00Z'),
    });
    await notifier.deliver({ event: 'revoked', requestId: 'req_1', hook: 0 });
    expect(seen).toBeDefined();
    const ts = seen!.headers['x-leasehold-timestamp'] as string;
    expect(seen!.headers['x-leasehold-signature']).toBe(signPayload('s'.repeat(32), ts, seen!.body));
    expect(JSON.parse(seen!.body)).toMatchObject({ event: 'revoked', request: { id: 'req_1', username: 'v-acme-chen-1' } });
  });

  it('throws on a failing receiver so the queue retries', async () => {
    nock('https://hooks.school.test').post('/leasehold').reply(503);
    const notifier = new WebhookNotifier({
      webhooks: [{ url: 'https://hooks.school.test/leasehold', secret: 's'.repeat(32) }],
      store,
      enqueue: () => Promise.resolve(),
      logger: silentLogger(),
      now: () => new Date(),
    });
    await expect(notifier.deliver({ event: 'revoked', requestId: 'req_1', hook: 0 })).rejects.toThrow(/503/);
  });

  it('enqueues one delivery per matching webhook', async () => {
    const queued: string[] = [];
    const notifier = new WebhookNotifier({
      webhooks: [
        { url: 'https://a.test/x', secret: 's'.repeat(32), events: ['expired'] },
        { url: 'https://b.test/x', secret: 's'.repeat(32) },
      ],
      store,
      enqueue: (_d, jobId) => Promise.resolve(void queued.push(jobId)),
      logger: silentLogger(),
      now: () => new Date(),
    });
    await notifier.notify('revoked', 'req_1');
    expect(queued).toEqual(['notify-revoked-req_1-1']);
  });

  it('keeps request payloads as they were for the new request events, and queues them under the request id', async () => {
    const queued: { data: unknown; jobId: string }[] = [];
    const notifier = new WebhookNotifier({
      webhooks: [{ url: 'https://a.test/x', secret: 's'.repeat(32) }],
      store,
      enqueue: (data, jobId) => Promise.resolve(void queued.push({ data, jobId })),
      logger: silentLogger(),
      now: () => new Date(),
    });
    await notifier.notify('request.filed', 'req_1');
    await notifier.notify('room.review_overdue', '2026-11-01T01:00:00.000Z');
    expect(queued).toEqual([
      { data: { event: 'request.filed', requestId: 'req_1', hook: 0 }, jobId: 'notify-request.filed-req_1-0' },
      {
        data: { event: 'room.review_overdue', subjectId: '2026-11-01T01:00:00.000Z', hook: 0 },
        jobId: 'notify-room.review_overdue-2026-11-01T01_00_00.000Z-0',
      },
    ]);
  });

  it('posts review.overdue with the session and when its review fell due, and room.review_overdue with the period; nothing once reviewed', async () => {
    const bodies: unknown[] = [];
    nock('https://hooks.school.test')
      .post('/leasehold')
      .times(2)
      .reply(function (_uri, body) {
        bodies.push(body);
        return [204];
      });
    const session = {
      id: 'ses_1',
      account: 'v-acme-chen-1',
      requestId: 'req_1',
      vendorId: 'ven_1',
      source: 'bastion-1',
      firstAt: '2026-11-01T00:00:00.000Z',
      lastAt: '2026-11-01T01:00:00.000Z',
      flags: [{ code: 'privileged_command' }, { code: 'privileged_command' }],
    } as unknown as SessionRecord;
    let reviewed = false;
    let roomOverdue = true;
    const notifier = new WebhookNotifier({
      webhooks: [{ url: 'https://hooks.school.test/leasehold', secret: 's'.repeat(32) }],
      store,
      sessions: { getSession: () => Promise.resolve(reviewed ? { ...session, review: { verdict: 'ok', by: 'ida', at: 'x' } } : session) },
      reviewDueDays: 7,
      rooms: { overdueReview: () => Promise.resolve(roomOverdue ? { periodStart: '2026-11-01T01:00:00.000Z', dueAt: '2026-12-02T01:00:00.000Z' } : null) },
      enqueue: () => Promise.resolve(),
      logger: silentLogger(),
      now: () => new Date('2026-12-06T00:00:00Z'),
    });
    await notifier.deliver({ event: 'review.overdue', subjectId: 'ses_1', hook: 0 });
    await notifier.deliver({ event: 'room.review_overdue', subjectId: '2026-11-01T01:00:00.000Z', hook: 0 });
    expect(bodies).toEqual([
      {
        event: 'review.overdue',
        at: '2026-12-06T00:00:00.000Z',
        session: {
          id: 'ses_1',
          account: 'v-acme-chen-1',
          requestId: 'req_1',
          vendorId: 'ven_1',
          source: 'bastion-1',
          firstAt: '2026-11-01T00:00:00.000Z',
          lastAt: '2026-11-01T01:00:00.000Z',
          flags: ['privileged_command'],
          reviewDueAt: '2026-11-08T01:00:00.000Z',
        },
      },
      {
        event: 'room.review_overdue',
        at: '2026-12-06T00:00:00.000Z',
        roomRegister: { periodStart: '2026-11-01T01:00:00.000Z', dueAt: '2026-12-02T01:00:00.000Z' },
      },
    ]);
    // Reviewed (or the period signed off) before the delivery ran: nothing is posted (nock would refuse a third call).
    reviewed = true;
    roomOverdue = false;
    await notifier.deliver({ event: 'review.overdue', subjectId: 'ses_1', hook: 0 });
    await notifier.deliver({ event: 'room.review_overdue', subjectId: '2026-11-01T01:00:00.000Z', hook: 0 });
  });

  it('the watch notifies each overdue session review and room-register period once, however often it runs, and again a month later', async () => {
    const reported = new Map<string, number>();
    let now = new Date('2026-12-06T00:00:00Z');
    const sent: [NotificationEvent, string][] = [];
    const watch = new NotifyWatchService({
      sessions: {
        overdue: () =>
          Promise.resolve({ items: [{ id: 'ses_1' }, { id: 'ses_2' }] as unknown as (SessionRecord & { reviewDueAt: string })[], nextCursor: null }),
      },
      rooms: { overdueReview: () => Promise.resolve({ periodStart: '2026-11-01T01:00:00.000Z', dueAt: '2026-12-02T01:00:00.000Z' }) },
      reported: {
        mark: (key, at) => Promise.resolve(!reported.has(key) && !!reported.set(key, at)),
        forgetBefore: (ms) => Promise.resolve(reported.forEach((at, key) => at < ms && reported.delete(key))),
      },
      notifier: { notify: (event, id) => Promise.resolve(void sent.push([event, id])) },
      logger: silentLogger(),
      now: () => now,
    });
    expect(await watch.run()).toEqual({ sessions: 2, room: true });
    expect(await watch.run()).toEqual({ sessions: 0, room: false });
    now = new Date(now.getTime() + REPORT_MEMORY_MS - 1000);
    expect(await watch.run()).toEqual({ sessions: 0, room: false });
    now = new Date(now.getTime() + 2000);
    expect(await watch.run()).toEqual({ sessions: 2, room: true });
    expect(reported.size).toBe(3);
    const once: [NotificationEvent, string][] = [
      ['review.overdue', 'ses_1'],
      ['review.overdue', 'ses_2'],
      ['room.review_overdue', '2026-11-01T01:00:00.000Z'],
    ];
    expect(sent).toEqual([...once, ...once]);
  });
});
