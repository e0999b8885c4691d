import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { canonicalJson, chainEvents, GENESIS_HASH, hashEvent, type AuditEvent } from '../../../src/audit/audit-event.js';
import { checkReanchor, explainedByDateDefect, loadReanchorKey, parseReanchorKey, reanchorKeyId, signReanchor } from '../../../src/audit/reanchor.js';

/** An event as the defect stored it: `dated` paths hashed as {} but stored as their ISO strings. */
function defective(details: Record<string, unknown>, hashedAs: Record<string, unknown>): AuditEvent {
  const [event] = chainEvents(
    { seq: 0, hash: GENESIS_HASH },
    [{ actor: 'a', action: 'audit.exported', subject: 'audit:trail', outcome: 'success', details }],
    new Date('2026-12-01T00:00:00Z'),
  );
  const { hash: _ignored, ...content } = event!;
  return { ...content, hash: hashEvent({ ...content, details: hashedAs }) };
}

describe('the Date defect test', () => {
  const since = '2026-01-01T00:00:00.000Z';
  const until = '2026-02-01T00:00:00.000Z';

  it('recognises an event whose dates were hashed as {}', () => {
    expect(explainedByDateDefect(defective({ filter: { since, until } }, { filter: { since: {}, until: {} } }))).toBe(true);
    // Only some of the ISO strings were Dates (another was a string all along); inside arrays too.
    expect(explainedByDateDefect(defective({ filter: { since }, validTo: until }, { filter: { since: {} }, validTo: until }))).toBe(true);
    expect(explainedByDateDefect(defective({ at: [since, 1] }, { at: [{}, 1] }))).toBe(true);
  });

  it('rejects anything else: an intact event, an edit, no dates to explain it', () => {
    const [intact] = chainEvents(
      { seq: 0, hash: GENESIS_HASH },
      [{ actor: 'a', action: 'x', subject: 's', outcome: 'success', details: { since } }],
      new Date(),
    );
    expect(explainedByDateDefect(intact!)).toBe(false);
    const edited = defective({ filter: { since } }, { filter: { since: {} } });
    expect(explainedByDateDefect({ ...edited, actor: 'mallory' })).toBe(false);
    expect(explainedByDateDefect({ ...edited, details: { filter: { since }, format: 'csv' } })).toBe(false);
    // What the defect never hashed it cannot vouch for: the date values themselves (docs/audit.md says so).
    expect(explainedByDateDefect({ ...edited, details: { filter: { since: '2026-01-02T00:00:00.000Z' } } })).toBe(true);
    expect(explainedByDateDefect(defective({ note: 'x' }, { note: 'y' }))).toBe(false);
  });
});

describe('signed re-anchors', () => {
  const key = randomBytes(32);
  const fields = { reanchoredSeq: 6, storedHash: 'a'.repeat(64), recomputedHash: 'b'.repeat(64), reason: 'Date defect' };

  it('verify with the key they were signed with, and only with it', () => {
    const record = signReanchor(key, fields);
    expect(record).toMatchObject({ ...fields, keyId: reanchorKeyId(key), signature: expect.stringMatching(/^[0-9a-f]{64}$/) });
    expect(checkReanchor(record, key)).toEqual({ seq: 6, verdict: { ok: true, storedHash: fields.storedHash, recomputedHash: fields.recomputedHash } });
    expect(checkReanchor(record, undefined)?.verdict).toEqual({ ok: false, reason: expect.stringMatching(/no AUDIT_REANCHOR_KEY/) });
    expect(checkReanchor(record, randomBytes(32))?.verdict).toEqual({ ok: false, reason: expect.stringMatching(/another key/) });
    for (const change of [{ reanchoredSeq: 7 }, { storedHash: 'c'.repeat(64) }, { recomputedHash: 'c'.repeat(64) }, { reason: 'other' }])
      expect(checkReanchor({ ...record, ...change }, key)?.verdict).toEqual({ ok: false, reason: 'its signature does not verify' });
    expect(checkReanchor({ ...record, signature: 'nope' }, key)?.verdict).toMatchObject({ ok: false });
    expect(checkReanchor({ note: 'not one' }, key)).toBeUndefined();
  });

  it('record nothing secret: the key id is not the key', () => {
    const text = canonicalJson(signReanchor(key, fields));
    expect(text).not.toContain(key.toString('hex'));
    expect(text).not.toContain(key.toString('base64'));
  });

  it('read their key from the environment or a file, 32 bytes base64 or hex', async () => {
    const problems: string[] = [];
    expect(loadReanchorKey({}, problems)).toBeUndefined();
    expect(loadReanchorKey({ AUDIT_REANCHOR_KEY: key.toString('hex') }, problems)).toEqual(key);
    expect(parseReanchorKey(` ${key.toString('base64')}\n`)).toEqual(key);
    const dir = await mkdtemp(join(tmpdir(), 'leasehold-key-'));
    try {
      await writeFile(join(dir, 'key'), `${key.toString('base64')}\n`);
      expect(loadReanchorKey({ AUDIT_REANCHOR_KEY_FILE: join(dir, 'key') }, problems)).toEqual(key);
      expect(problems).toEqual([]);
      expect(loadReanchorKey({ AUDIT_REANCHOR_KEY: 'short' }, problems)).toBeUndefined();
      expect(loadReanchorKey({ AUDIT_REANCHOR_KEY_FILE: join(dir, 'missing') }, problems)).toBeUndefined();
      expect(problems).toEqual([
        '[AUDIT_REANCHOR_KEY] must be 32 bytes, base64 or 64 hex digits',
        expect.stringMatching(/^\[AUDIT_REANCHOR_KEY_FILE\] cannot read .*ENOENT/),
      ]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
