import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { AuditInput } from '../../../src/audit/audit-event.js';
import { SourceAuditSummary } from '../../../src/sessions/source-audit-summary.js';
import { silentLogger } from '../../support/log-capture.js';

describe('the per-source audit summary of a stream source', () => {
  beforeEach(() => vi.useFakeTimers({ now: new Date('2026-12-01T10:00:00Z') }));
  afterEach(() => vi.useRealTimers());

  const setup = (fail = { on: false }) => {
    const written: AuditInput[][] = [];
    const summary = new SourceAuditSummary({
      intervalMs: 60_000,
      origin: 'syslog',
      logger: silentLogger(),
      write: (events) => (fail.on ? Promise.reject(new Error('READONLY')) : Promise.resolve(void written.push(events))),
    });
    summary.start();
    return { summary, written };
  };

  it('writes nothing for periods in which nothing arrived', async () => {
    const { summary, written } = setup();
    await vi.advanceTimersByTimeAsync(10 * 60_000);
    expect(written).toEqual([]);
    await summary.close();
    expect(written).toEqual([]);
  });

  it('writes one event per source at the end of the period, summing its batches, then nothing until more arrives', async () => {
    const { summary, written } = setup();
    summary.count('10.0.0.2', { received: 3, stored: 3 });
    summary.count('10.0.0.1', { received: 5, stored: 4 });
    summary.count('10.0.0.2', { received: 2, stored: 2 });
    await vi.advanceTimersByTimeAsync(60_000);
    expect(written).toHaveLength(1);
    expect(written[0]!.map((e) => [e.action, e.details])).toEqual([
      [
        'sessions.ingested',
        {
          origin: 'syslog',
          sourceAddress: '10.0.0.1',
          from: '2026-12-01T10:00:00.000Z',
          to: '2026-12-01T10:01:00.000Z',
          received: 5,
          stored: 4,
          duplicates: 1,
          batches: 1,
        },
      ],
      [
        'sessions.ingested',
        {
          origin: 'syslog',
          sourceAddress: '10.0.0.2',
          from: '2026-12-01T10:00:00.000Z',
          to: '2026-12-01T10:01:00.000Z',
          received: 5,
          stored: 5,
          duplicates: 0,
          batches: 2,
        },
      ],
    ]);
    await vi.advanceTimersByTimeAsync(5 * 60_000);
    expect(written).toHaveLength(1);
    await summary.close();
  });

  it('keeps the counts when the write fails and reports them with the next period', async () => {
    const fail = { on: true };
    const { summary, written } = setup(fail);
    summary.count('10.0.0.1', { received: 2, stored: 2 });
    await vi.advanceTimersByTimeAsync(60_000);
    fail.on = false;
    summary.count('10.0.0.1', { received: 1, stored: 1 });
    await vi.advanceTimersByTimeAsync(60_000);
    expect(written.map((w) => w.map((e) => e.details))).toEqual([
      [expect.objectContaining({ sourceAddress: '10.0.0.1', from: '2026-12-01T10:00:00.000Z', received: 3, stored: 3, batches: 2 })],
    ]);
    await summary.close();
  });
});
