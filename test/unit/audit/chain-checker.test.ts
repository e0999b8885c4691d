import { describe, expect, it } from 'vitest';
import { chainEvents, GENESIS_HASH, hashEvent, type AuditEvent } from '../../../src/audit/audit-event.js';
import { ChainChecker, type VerifyResult } from '../../../src/audit/chain-checker.js';
import { sampleEvent } from '../../support/audit-rig.js';

const AT = new Date('2026-11-25T01:00:00Z');

function chain(n: number): AuditEvent[] {
  return chainEvents(
    { seq: 0, hash: GENESIS_HASH },
    Array.from({ length: n }, (_, i) => sampleEvent(i + 1)),
    AT,
  );
}

function lines(events: AuditEvent[]): string[] {
  return events.map((e) => JSON.stringify(e));
}

function check(stored: string[], head?: { seq: number; hash: string } | null, pins?: Map<number, string>): VerifyResult {
  const checker = new ChainChecker(undefined, pins);
  for (const line of stored) if (checker.next(line)) break;
  return checker.finish(head);
}

function headOf(events: AuditEvent[]) {
  const last = events[events.length - 1]!;
  return { seq: last.seq, hash: last.hash };
}

describe('the chain checker', () => {
  const events = chain(10);
  const head = headOf(events);

  it('accepts an intact chain and reports its count and head', () => {
    expect(check(lines(events), head)).toEqual({ ok: true, count: 10, head, fromSeq: 1 });
  });

  it('accepts an empty trail', () => {
    expect(check([], null)).toEqual({ ok: true, count: 0, head: null, fromSeq: 1 });
  });

  it('locates an edited event by its hash', () => {
    const stored = lines(events);
    stored[4] = JSON.stringify({ ...events[4], actor: 'mallory' });
    expect(check(stored, head)).toMatchObject({ ok: false, firstBadSeq: 5, reason: expect.stringMatching(/edited/) });
  });

  it('locates an event edited and re-hashed by the broken link to it', () => {
    const forged = { ...events[4]!, details: { i: 5, note: 'nothing to see' } };
    forged.hash = hashEvent(forged);
    const stored = lines(events);
    stored[4] = JSON.stringify(forged);
    expect(check(stored, head)).toMatchObject({ ok: false, firstBadSeq: 6, reason: expect.stringMatching(/prevHash/) });
  });

  it('locates a deleted event', () => {
    const stored = lines(events);
    stored.splice(6, 1);
    expect(check(stored, head)).toMatchObject({ ok: false, firstBadSeq: 7, count: 6 });
  });

  it('locates an inserted event', () => {
    const stored = lines(events);
    stored.splice(3, 0, stored[1]!);
    expect(check(stored, head)).toMatchObject({ ok: false, firstBadSeq: 4 });
  });

  it('locates two swapped events', () => {
    const stored = lines(events);
    [stored[7], stored[8]] = [stored[8]!, stored[7]!];
    expect(check(stored, head)).toMatchObject({ ok: false, firstBadSeq: 8 });
  });

  it('detects the last events cut off, against the recorded head', () => {
    expect(check(lines(events).slice(0, 8), head)).toMatchObject({ ok: false, firstBadSeq: 9, reason: expect.stringMatching(/deleted/) });
  });

  it('detects an event appended behind the head', () => {
    const extra = chainEvents(head, [sampleEvent(11)], AT);
    expect(check([...lines(events), ...lines(extra)], head)).toMatchObject({ ok: false, firstBadSeq: 11 });
  });

  it('refuses a field the hash does not cover', () => {
    const stored = lines(events);
    stored[2] = JSON.stringify({ ...events[2], approvedBy: 'nobody' });
    expect(check(stored, head)).toMatchObject({ ok: false, firstBadSeq: 3, reason: expect.stringMatching(/unexpected fields/) });
  });

  it('reports a line that is not JSON', () => {
    const stored = lines(events);
    stored[0] = stored[0]!.slice(0, 20);
    expect(check(stored, head)).toMatchObject({ ok: false, firstBadSeq: 1, reason: expect.stringMatching(/malformed/) });
  });

  it('detects a chain rewritten from some seq on, when a checkpoint pins it', () => {
    const rewritten = [
      ...events.slice(0, 2),
      ...chainEvents(
        headOf(events.slice(0, 2)),
        [3, 4, 5, 6, 7, 8, 9, 10].map((i) => sampleEvent(i, { actor: 'mallory' })),
        AT,
      ),
    ];
    // Self-consistent, so without checkpoints nothing shows …
    expect(check(lines(rewritten), headOf(rewritten))).toMatchObject({ ok: true });
    // … but the checkpoint taken at seq 4 before the rewrite does.
    expect(check(lines(rewritten), headOf(rewritten), new Map([[4, events[3]!.hash]]))).toMatchObject({
      ok: false,
      firstBadSeq: 4,
      reason: expect.stringMatching(/checkpoint/),
    });
  });

  it('verifies from an anchor without the events before it', () => {
    const checker = new ChainChecker({ seq: 6, hash: events[5]!.hash });
    for (const line of lines(events.slice(6))) expect(checker.next(line)).toBeUndefined();
    expect(checker.finish(head)).toEqual({ ok: true, count: 4, head, fromSeq: 7 });
  });
});
