import { randomBytes } from 'node:crypto';
import { describe, expect, inject, it } from 'vitest';
import { auditEventsOf, clockAt, failureCount, startApiOnly } from '../support/api-probes.js';
import { eventually, type TestService } from '../support/service-harness.js';

async function badToken(svc: TestService): Promise<number> {
  const res = await fetch(`${svc.url}/v1/vendors`, { headers: { authorization: 'Bearer not-a-real-token-at-all' } });
  await res.arrayBuffer();
  return res.status;
}

/** `total` bad-token requests spread over the services, `parallel` at a time. */
async function flood(services: TestService[], total: number, parallel = 50): Promise<void> {
  let sent = 0;
  await Promise.all(
    Array.from({ length: parallel }, async () => {
      while (sent < total) {
        const svc = services[sent++ % services.length]!;
        expect(await badToken(svc)).toBe(401);
      }
    }),
  );
}

describe('auditing failed authentication', () => {
  it('records the first failure of an address at once, and 1,000 from one address across two API processes as at most two events counting 1,000', async () => {
    const prefix = `t${randomBytes(5).toString('hex')}`;
    // Both processes start at second 0 of a minute, so that the flood stays within one minute.
    const now = clockAt(0);
    const services = await Promise.all([startApiOnly(inject('redisUrl'), {}, { prefix, now }), startApiOnly(inject('redisUrl'), {}, { prefix, now })]);
    try {
      expect(await badToken(services[0])).toBe(401);
      const first = await auditEventsOf(services[0], 'auth.failed');
      expect(first).toHaveLength(1);
      expect(first[0]!.details).toMatchObject({ count: 1, first: true, method: 'GET', path: '/v1/vendors' });
      await flood(services, 999);
    } finally {
      await Promise.all(services.map((s) => s.close()));
    }
    const events = await auditEventsOf(services[0], 'auth.failed');
    expect(events.length).toBeLessThanOrEqual(2);
    expect(failureCount(events)).toBe(1000);
    expect(new Set(events.map((e) => e.subject))).toEqual(new Set([events[0]!.subject]));
  });

  it('writes the count of a minute that ended quietly without waiting for a shutdown', async () => {
    // Three seconds before the minute ends: the rest of its count is flushed by the timer soon after.
    const svc = await startApiOnly(inject('redisUrl'), {}, { now: clockAt(57) });
    try {
      await flood([svc], 20, 5);
      const events = await eventually(
        async () => {
          const found = await auditEventsOf(svc, 'auth.failed');
          return failureCount(found) === 20 && found;
        },
        20_000,
        250,
      );
      expect(events).toHaveLength(2);
      expect(events.map((e) => e.details.count)).toEqual([1, 19]);
    } finally {
      await svc.close();
    }
  });
});
