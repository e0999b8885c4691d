import { describe, expect, it } from 'vitest';
import { PayloadTooLarge, ValidationError } from '../../../src/errors.js';
import { eventId, fastEvent, MAX_BATCH, sessionEventSchema, validateBatch } from '../../../src/sessions/session-event.schema.js';

const good = {
  source: 'bastion-1',
  account: 'v-acme-chen-1',
  type: 'command',
  at: '2026-11-25T09:14:03+08:00',
  target: 'erp-db01',
  sourceIp: '10.20.0.7',
  sourceSessionId: 'a81f',
  detail: 'sudo -i',
};

describe('session event batches', () => {
  it('normalises valid events and gives a retried event the same id, whatever offset its time is written in', () => {
    const [a] = validateBatch([good]);
    const [b] = validateBatch([{ ...good, at: '2026-11-25T01:14:03Z', extra: 'ignored' }]);
    expect(a!.id).toBe(b!.id);
    expect(a).toMatchObject({ at: '2026-11-25T01:14:03.000Z', accountKey: 'v-acme-chen-1', origin: 'http' });
    expect(b).not.toHaveProperty('extra');
    expect(eventId({ ...good, atMs: 1 })).not.toBe(eventId({ ...good, atMs: 2 }));
  });

  it('names the index and field of each bad event', () => {
    const events = [good, good, good, { ...good, at: 'yesterday' }, { ...good, type: 'dance', sourceIp: 'not-an-ip' }, 'oops'];
    try {
      validateBatch(events);
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(ValidationError);
      const fields = (err as ValidationError).details.map((d) => d.field);
      expect(fields).toEqual(expect.arrayContaining(['events[3].at', 'events[4].type', 'events[4].sourceIp', 'events[5]']));
      expect(fields.some((f) => f?.startsWith('events[0]'))).toBe(false);
    }
  });

  it('refuses more than 1,000 events as too large', () => {
    expect(() => validateBatch(Array.from({ length: MAX_BATCH + 1 }, () => good))).toThrow(PayloadTooLarge);
    expect(validateBatch(Array.from({ length: MAX_BATCH }, () => good))).toHaveLength(MAX_BATCH);
  });

  it('has a fast path that never accepts what the schema refuses, and returns what the schema would', () => {
    const variants: unknown[] = [
      good,
      { ...good, extra: 1 },
      { ...good, source: '  padded  ' },
      { ...good, source: '   ' },
      { ...good, source: 'x'.repeat(201) },
      { ...good, source: 'x'.repeat(200) },
      { ...good, account: 7 },
      { ...good, type: 'LOGIN' },
      { ...good, at: '2026-02-29T00:00:00Z' },
      { ...good, at: '2028-02-29T00:00:00Z' },
      { ...good, at: '2026-11-25T09:14:03' },
      { ...good, at: '2026-11-25T09:14:03.1234567-05:30' },
      { ...good, target: null },
      { ...good, target: '' },
      { ...good, sourceIp: '256.1.1.1' },
      { ...good, sourceIp: '2001:db8::7' },
      { ...good, sourceIp: 'fe80::1%eth0' },
      { ...good, sourceIp: '01.2.3.4' },
      { ...good, detail: '' },
      { ...good, detail: 'x'.repeat(4097) },
      { ...good, detail: 5 },
      { ...good, sourceSessionId: ' s ' },
      null,
      [],
      'event',
      { source: 'a', account: 'b', type: 'login', at: '2026-11-25T09:14:03Z' },
    ];
    for (const v of variants) {
      const fast = fastEvent(v);
      const zod = sessionEventSchema.safeParse(v);
      if (fast) expect(zod.success ? zod.data : 'refused by zod', JSON.stringify(v)).toEqual(fast);
    }
    expect(variants.filter((v) => fastEvent(v)).length).toBeGreaterThan(8);
  });
});
