import { describe, expect, it } from 'vitest';
import { canonicalJson, chainEvents, GENESIS_HASH, hashEvent } from '../../../src/audit/audit-event.js';

describe('canonical JSON', () => {
  it('sorts keys at every level and drops undefined members', () => {
    expect(canonicalJson({ b: 1, a: { d: [3, { z: 1, y: undefined, x: 'é' }], c: null } })).toBe('{"a":{"c":null,"d":[3,{"x":"é","z":1}]},"b":1}');
  });

  it('is the same for the same content in any key order', () => {
    expect(canonicalJson({ x: 1, y: [1, 2], z: { q: true, p: false } })).toBe(canonicalJson({ z: { p: false, q: true }, y: [1, 2], x: 1 }));
  });

  it('keeps array order (order is content)', () => {
    expect(canonicalJson([2, 1])).not.toBe(canonicalJson([1, 2]));
  });
});

describe('the hash chain', () => {
  const [first, second] = chainEvents({ seq: 0, hash: GENESIS_HASH }, [
    { actor: 'a', action: 'x.y', subject: 's:1', outcome: 'success', details: { k: 1 } },
    { actor: 'b', action: 'x.z', subject: 's:2', outcome: 'refused' },
  ], new Date('2026-11-25T00:00:00Z'));

  it('numbers events from 1 and links each to the one before', () => {
    expect(first!.seq).toBe(1);
    expect(first!.prevHash).toBe(GENESIS_HASH);
    expect(second!.seq).toBe(2);
    expect(second!.prevHash).toBe(first!.hash);
    expect(second!.details).toEqual({});
  });

  it('hashes the canonical content including prevHash, whatever the key order', () => {
    const { hash, ...rest } = first!;
    const shuffled = Object.fromEntries(Object.entries(rest).reverse()) as typeof rest;
    expect(hashEvent(shuffled)).toBe(hash);
    expect(hash).toMatch(/^[0-9a-f]{64}$/);
  });

  it('changes the hash when any field changes', () => {
    const { hash, ...rest } = first!;
    for (const change of [{ seq: 2 }, { at: '2026-11-25T00:00:01.000Z' }, { actor: 'z' }, { action: 'x' }, { subject: 's:9' }, { outcome: 'failure' as const }, { details: { k: 2 } }, { prevHash: '1'.repeat(64) }])
      expect(hashEvent({ ...rest, ...change })).not.toBe(hash);
  });
});
