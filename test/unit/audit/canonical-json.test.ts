import { describe, expect, it } from 'vitest';
import { AuditValueError, canonicalJson, chainEvents, GENESIS_HASH, hashEvent, normaliseInput, toAuditJson } from '../../../src/audit/audit-event.js';

describe('canonical JSON', () => {
  it('sorts keys at every level', () => {
    expect(canonicalJson({ b: 1, a: { d: [3, { z: 1, x: 'é' }], c: null } })).toBe('{"a":{"c":null,"d":[3,{"x":"é","z":1}]},"b":1}');
  });

  it('is the same for the same content in any key order', () => {
    expect(canonicalJson({ x: 1, y: [1, 2], z: { q: true, p: false } })).toBe(canonicalJson({ z: { p: false, q: true }, y: [1, 2], x: 1 }));
  });

  it('keeps array order (order is content)', () => {
    expect(canonicalJson([2, 1])).not.toBe(canonicalJson([1, 2]));
  });
});

class Point {
  constructor(readonly x = 1) {}
}

/** What hashing sees after the append-time normalisation, next to what storage keeps. */
function storedAndHashed(value: unknown): { stored: string; hashed: string } {
  const recorded = toAuditJson(value);
  const stored = JSON.stringify(recorded);
  return { stored, hashed: canonicalJson(JSON.parse(stored)) };
}

describe('values entering an audit event', () => {
  // Each JSON value: the canonical text equals JSON.stringify of the parsed stored line, and hashing the
  // in-memory value gives the same text as hashing what is read back (the defect: Date hashed as {}).
  const accepted: [string, unknown, string][] = [
    ['a plain string', 'abc', '"abc"'],
    ['unicode', 'Zoë — 日本 🙂', '"Zoë — 日本 🙂"'],
    ['escapes and control characters', 'quote " backslash \\ nl \n tab \t nul \u0000', JSON.stringify('quote " backslash \\ nl \n tab \t nul \u0000')],
    ['a lone surrogate', '\ud800', '"\\ud800"'],
    ['an integer', 42, '42'],
    ['a fraction', -1.5, '-1.5'],
    ['negative zero (stored as 0)', -0, '0'],
    ['a large number', 1e21, '1e+21'],
    ['the largest safe integer', Number.MAX_SAFE_INTEGER, '9007199254740991'],
    ['an unsafe integer (stored as the double it is)', 2 ** 60, '1152921504606847000'],
    ['the smallest positive double', Number.MIN_VALUE, '5e-324'],
    ['true', true, 'true'],
    ['false', false, 'false'],
    ['null', null, 'null'],
    ['undefined object members (dropped)', { a: 1, b: undefined }, '{"a":1}'],
    ['undefined and missing array elements (null, as JSON.stringify does)', [1, undefined, , 3], '[1,null,null,3]'], // eslint-disable-line no-sparse-arrays
    ['nested arrays and objects', { z: [[1, { y: [] }], {}], a: { c: { b: [null] } } }, '{"a":{"c":{"b":[null]}},"z":[[1,{"y":[]}],{}]}'],
    ['an object without a prototype', Object.assign(Object.create(null) as object, { k: 'v' }), '{"k":"v"}'],
    ['a Date (normalised to its ISO string)', new Date('2026-12-01T10:00:00Z'), '"2026-12-01T10:00:00.000Z"'],
    [
      'Dates inside a filter',
      { since: new Date('2026-01-01T00:00:00Z'), until: new Date('2026-02-01T00:00:00Z') },
      '{"since":"2026-01-01T00:00:00.000Z","until":"2026-02-01T00:00:00.000Z"}',
    ],
    [
      'a shared (not cyclic) reference',
      (() => {
        const s = { n: 1 };
        return { a: s, b: s };
      })(),
      '{"a":{"n":1},"b":{"n":1}}',
    ],
  ];
  it.each(accepted)('records %s and hashes exactly what is stored', (_name, value, expected) => {
    const { stored, hashed } = storedAndHashed(value);
    expect(hashed).toBe(expected);
    expect(canonicalJson(toAuditJson(value))).toBe(expected);
    expect(JSON.parse(stored)).toEqual(JSON.parse(expected));
  });

  const refused: [string, unknown, RegExp][] = [
    ['NaN', { n: Number.NaN }, /value\.n: NaN is not a finite number/],
    ['Infinity', [Number.POSITIVE_INFINITY], /value\[0\]: Infinity is not a finite number/],
    ['-Infinity', Number.NEGATIVE_INFINITY, /-Infinity is not a finite number/],
    ['a BigInt', { big: 10n }, /value\.big: a bigint has no JSON form/],
    ['a function', { f: () => 1 }, /value\.f: a function has no JSON form/],
    ['a symbol', { s: Symbol('x') }, /value\.s: a symbol has no JSON form/],
    ['a symbol key', { [Symbol('k')]: 1 }, /symbol keys/],
    ['a Map', { m: new Map([['a', 1]]) }, /value\.m: a Map is not a plain object/],
    ['a Set', { s: new Set([1]) }, /value\.s: a Set is not a plain object/],
    ['a class instance', { p: new Point() }, /value\.p: a Point is not a plain object/],
    ['an invalid Date', { d: new Date('nope') }, /invalid Date/],
    [
      'a cycle',
      (() => {
        const o: Record<string, unknown> = { a: 1 };
        o.self = { back: o };
        return o;
      })(),
      /value\.self\.back: the structure is cyclic/,
    ],
  ];
  it.each(refused)('refuses %s at append time, naming where it is', (_name, value, message) => {
    expect(() => toAuditJson(value)).toThrow(AuditValueError);
    expect(() => toAuditJson(value)).toThrow(message);
  });

  const notJson: [string, unknown][] = [
    ['a Date', { d: new Date() }],
    ['undefined', { u: undefined }],
    ['undefined in an array', [undefined]],
    ['NaN', Number.NaN],
    ['Infinity', Number.POSITIVE_INFINITY],
    ['a BigInt', 1n],
    ['a function', () => 1],
    ['a symbol', Symbol('s')],
    ['a Map', new Map()],
    ['a Set', new Set()],
    ['a class instance', new Point()],
    [
      'a cycle',
      (() => {
        const a: unknown[] = [];
        a.push(a);
        return a;
      })(),
    ],
  ];
  it.each(notJson)('never hashes %s silently as something JSON.stringify would store differently', (_name, value) => {
    expect(() => canonicalJson(value)).toThrow(AuditValueError);
  });

  it('normalises an input and refuses one whose fields are not strings or whose details is not an object', () => {
    expect(
      normaliseInput({ actor: 'a', action: 'x.y', subject: 's', outcome: 'success', details: { since: new Date('2026-01-01T00:00:00Z'), gone: undefined } }),
    ).toEqual({ actor: 'a', action: 'x.y', subject: 's', outcome: 'success', details: { since: '2026-01-01T00:00:00.000Z' } });
    expect(normaliseInput({ actor: 'a', action: 'x.y', subject: 's', outcome: 'success' }).details).toEqual({});
    expect(() => normaliseInput({ actor: 1 as unknown as string, action: 'x', subject: 's', outcome: 'success' })).toThrow(/actor/);
    expect(() => normaliseInput({ actor: 'a', action: 'x', subject: 's', outcome: 'maybe' as 'success' })).toThrow(/outcome/);
    expect(() =>
      normaliseInput({ actor: 'a', action: 'x', subject: 's', outcome: 'success', details: new Map() as unknown as Record<string, unknown> }),
    ).toThrow(/details/);
  });

  it('chains an event with a Date in its details so that the stored line verifies', () => {
    const [event] = chainEvents(
      { seq: 0, hash: GENESIS_HASH },
      [{ actor: 'a', action: 'audit.exported', subject: 'audit:trail', outcome: 'success', details: { filter: { since: new Date('2026-01-01T00:00:00Z') } } }],
      new Date('2026-11-25T00:00:00Z'),
    );
    const stored = JSON.parse(JSON.stringify(event)) as typeof event & object;
    expect(stored.details).toEqual({ filter: { since: '2026-01-01T00:00:00.000Z' } });
    expect(hashEvent(stored)).toBe(event!.hash);
  });
});

describe('the hash chain', () => {
  const [first, second] = chainEvents(
    { seq: 0, hash: GENESIS_HASH },
    [
      { actor: 'a', action: 'x.y', subject: 's:1', outcome: 'success', details: { k: 1 } },
      { actor: 'b', action: 'x.z', subject: 's:2', outcome: 'refused' },
    ],
    new Date('2026-11-25T00:00:00Z'),
  );

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
    for (const change of [
      { seq: 2 },
      { at: '2026-11-25T00:00:01.000Z' },
      { actor: 'z' },
      { action: 'x' },
      { subject: 's:9' },
      { outcome: 'failure' as const },
      { details: { k: 2 } },
      { prevHash: '1'.repeat(64) },
    ])
      expect(hashEvent({ ...rest, ...change })).not.toBe(hash);
  });
});
