import { describe, expect, it } from 'vitest';
import {
  advanceMarks,
  batchDigest,
  classify,
  formatMark,
  freshEvents,
  parseMark,
  WINDOW_IDS,
  WINDOW_MS,
  type StreamMark,
} from '../../../src/sessions/session-dedupe.js';
import { normalizeEvent, type NormalizedEvent } from '../../../src/sessions/session-event.schema.js';

const T0 = Date.UTC(2026, 11, 6, 9, 0, 0);
const ev = (ms: number, detail = `cmd ${ms}`, source = 'bastion-1'): NormalizedEvent =>
  normalizeEvent({ source, account: 'v-acme-chen-1', type: 'command', at: new Date(T0 + ms).toISOString(), detail }, 'http');

/** The marks after storing `events` batch by batch, as the stores keep them (formatted and parsed again). */
function store(...batches: NormalizedEvent[][]): Map<string, Map<string, StreamMark>> {
  let marks = new Map<string, Map<string, StreamMark>>();
  for (const batch of batches) {
    const next = advanceMarks(freshEvents(batch, marks, false), marks);
    const merged = new Map([...marks].map(([a, f]) => [a, new Map(f)]));
    for (const [a, fields] of next) for (const [f, m] of fields) (merged.get(a) ?? merged.set(a, new Map()).get(a)!).set(f, parseMark(formatMark(m))!);
    marks = merged;
  }
  return marks;
}

describe('session event dedupe without one entry per event', () => {
  it('digests a batch by its distinct ids, whatever their order or repeats', () => {
    const [a, b, c] = [ev(1), ev(2), ev(3)];
    expect(batchDigest([a.id, b.id, c.id])).toBe(batchDigest([c.id, a.id, b.id, a.id]));
    expect(batchDigest([a.id, b.id])).not.toBe(batchDigest([a.id, b.id, c.id]));
    expect(batchDigest([a.id])).toMatch(/^[A-Za-z0-9_-]{22}$/);
  });

  it('treats every event of a batch seen before as a duplicate', () => {
    const batch = [ev(1), ev(2)];
    expect(freshEvents(batch, new Map(), true)).toEqual([]);
  });

  it('recognises a stored event within the window below its stream’s newest, and keeps new ones there', () => {
    const marks = store([ev(0), ev(1000), ev(2000)]);
    expect(freshEvents([ev(0), ev(1000), ev(1500), ev(2000), ev(3000)], marks, false).map((e) => e.atMs - T0)).toEqual([1500, 3000]);
    // The same instant, another event: new (the id decides at the mark itself).
    expect(freshEvents([ev(2000, 'other')], marks, false)).toHaveLength(1);
  });

  it('keeps streams apart: the same times on another source are new', () => {
    const marks = store([ev(0), ev(1000)]);
    expect(freshEvents([ev(0, 'cmd 0', 'bastion-2')], marks, false)).toHaveLength(1);
  });

  it('stores a late arrival below the window (never drops one it cannot tell from a retry)', () => {
    const marks = store([ev(0)], [ev(WINDOW_MS + 5000)]);
    const mark = marks.get('v-acme-chen-1')!.get('bastion-1')!;
    expect(classify(ev(0), mark)).toBe('late');
    expect(freshEvents([ev(0), ev(1)], marks, false)).toHaveLength(2);
    expect(classify(ev(WINDOW_MS + 5000), mark)).toBe('duplicate');
  });

  it('forgets ids that fall below the window as the mark moves up', () => {
    const marks = store([ev(0), ev(10)], [ev(WINDOW_MS + 20)]);
    const mark = marks.get('v-acme-chen-1')!.get('bastion-1')!;
    expect(mark.hwmMs).toBe(T0 + WINDOW_MS + 20);
    expect(mark.floorMs).toBe(T0 + 20);
    expect([...mark.ids.values()].map((t) => t - T0)).toEqual([WINDOW_MS + 20]);
  });

  it('caps the ids of a stream, raising the floor above every time it no longer covers', () => {
    const flood = Array.from({ length: WINDOW_IDS + 10 }, (_, i) => ev(i));
    const mark = store(flood).get('v-acme-chen-1')!.get('bastion-1')!;
    expect(mark.ids.size).toBe(WINDOW_IDS);
    expect(mark.floorMs).toBe(T0 + 10);
    expect(classify(ev(9), mark)).toBe('late');
    expect(classify(ev(10), mark)).toBe('duplicate');
  });

  it('reads back what it writes', () => {
    const mark: StreamMark = { hwmMs: T0 + 5000, floorMs: T0 + 5000 - WINDOW_MS, ids: new Map([[ev(4000).id, T0 + 4000]]) };
    expect(parseMark(formatMark(mark))).toEqual(mark);
    expect(parseMark(null)).toBeUndefined();
  });
});
