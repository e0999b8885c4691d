import nock from 'nock';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signPayload, WebhookNotifier } from '../../src/notify/webhook-notifier.js';
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
});
