import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { EventBatcher } from '../../../src/sessions/event-batcher.js';
import { normalizeEvent } from '../../../src/sessions/session-event.schema.js';
import { silentLogger } from '../../support/log-capture.js';

const ev = (i: number) =>
  normalizeEvent({ source: 'h', account: 'a', type: 'command', at: new Date(1_700_000_000_000 + i).toISOString(), detail: String(i) }, 'syslog');

describe('the syslog event batcher', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('flushes on the timer and as soon as a batch is full', async () => {
    const batches: number[] = [];
    const b = new EventBatcher({ flush: (e) => Promise.resolve(void batches.push(e.length)), logger: silentLogger(), flushMs: 1000, maxBatch: 3 });
    b.add(ev(1));
    await vi.advanceTimersByTimeAsync(999);
    expect(batches).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(batches).toEqual([1]);
    for (let i = 0; i < 7; i++) b.add(ev(10 + i));
    await vi.advanceTimersByTimeAsync(1000);
    expect(batches.reduce((a, n) => a + n, 0)).toBe(8);
    expect(Math.max(...batches)).toBe(3);
  });

  it('keeps events while the store is down and stores them once it is back', async () => {
    let down = true;
    const stored: number[] = [];
    const b = new EventBatcher({
      flush: (e) => (down ? Promise.reject(new Error('ECONNREFUSED')) : Promise.resolve(void stored.push(...e.map((x) => Number(x.detail))))),
      logger: silentLogger(),
      flushMs: 100,
    });
    b.add(ev(1));
    b.add(ev(2));
    await vi.advanceTimersByTimeAsync(350);
    expect(b.pending).toBe(2);
    down = false;
    await vi.advanceTimersByTimeAsync(150);
    expect(stored).toEqual([1, 2]);
    expect(b.pending).toBe(0);
  });

  it('drops the oldest beyond its bound and says how many', async () => {
    let dropped = 0;
    const b = new EventBatcher({
      flush: () => Promise.reject(new Error('down')),
      logger: silentLogger(),
      maxBuffered: 5,
      maxBatch: 100,
      onDropped: (n) => (dropped += n),
    });
    for (let i = 0; i < 8; i++) b.add(ev(i));
    expect(b.pending).toBe(5);
    expect(dropped).toBe(3);
    await b.close();
  });
});
