import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { afterEach, beforeEach, describe, expect, inject, it } from 'vitest';
import { AuditCheckpointer } from '../../../src/audit/audit-checkpointer.js';
import type { AuditEvent } from '../../../src/audit/audit-event.js';
import { AuditMirror } from '../../../src/audit/audit-mirror.js';
import { reanchorEvent, ReanchorRefused } from '../../../src/audit/reanchor-event.js';
import { AuditVerifier, verifyJsonlFile } from '../../../src/audit/audit-verifier.js';
import { EDITED } from '../../../src/audit/chain-checker.js';
import { signReanchor } from '../../../src/audit/reanchor.js';
import { silentLogger } from '../../support/log-capture.js';
import { appendDateDefectEvent, auditRig, commit, type AuditRig } from '../../support/audit-rig.js';

const key = randomBytes(32);
const reason = 'hashed by the Date defect of issue 10 (filtered export); content checked against the mirror';

describe('re-anchoring an event hashed by the Date defect', () => {
  let rig: AuditRig;
  let mirror: AuditMirror;
  let bad: AuditEvent;
  beforeEach(async () => {
    rig = await auditRig(inject('redisUrl'));
    mirror = new AuditMirror({ redis: rig.redis, keys: rig.keys, file: rig.file, logger: silentLogger(), fsync: false, pollMs: 50, reanchorKey: key });
    rig.tx.onCommit(mirror.onCommit);
    await mirror.start();
    await commit(rig.tx, 5);
    // seq 6: what a filtered export recorded before the fix.
    bad = await appendDateDefectEvent(rig, {
      actor: 'auditor',
      action: 'audit.exported',
      subject: 'audit:trail',
      outcome: 'success',
      details: { format: 'jsonl', filter: { since: new Date('2026-01-01T00:00:00Z'), until: new Date('2026-06-30T00:00:00Z'), actor: 'ops-alice' } },
    });
    await commit(rig.tx, 5, 7);
    await mirror.sync();
  });
  afterEach(async () => {
    await mirror.close();
    await rig.close();
  });

  /** A verifier with the re-anchor key, or with the one given (none for `null`). */
  const verifier = (k: Buffer | null = key) => new AuditVerifier(rig.redis, rig.keys, k ?? undefined);
  const fileLines = async () => (await readFile(rig.file, 'utf8')).split('\n').filter(Boolean);
  const reanchor = (seq = 6) => reanchorEvent(rig.redis, rig.keys, rig.tx, key, { seq, reason, actor: 'cli:operator@host' });

  it('reads as edited, and the mirror stops before it', async () => {
    expect(bad.seq).toBe(6);
    expect(await verifier().verifyRedis()).toEqual({ ok: false, firstBadSeq: 6, reason: EDITED, count: 5 });
    expect(mirror.status().halted).toMatch(/broken at seq 6/);
    expect(await fileLines()).toHaveLength(5);
  });

  it('verifies intact with re-anchors after a signed re-anchor; the mirror catches up and checkpoints resume', async () => {
    const { record, after } = await reanchor();
    expect(after).toMatchObject({ ok: true, count: 12, reanchored: [6] });
    const last = JSON.parse((await rig.redis.lindex(rig.keys.auditEvents(), -1))!) as AuditEvent;
    expect(last).toMatchObject({ seq: 12, actor: 'cli:operator@host', action: 'audit.reanchored', subject: 'audit:seq:6', details: record });
    expect(record).toMatchObject({ reanchoredSeq: 6, storedHash: bad.hash, reason, recomputedHash: expect.not.stringMatching(bad.hash) });

    await mirror.sync();
    expect(mirror.status()).toMatchObject({ halted: null, lastSeq: 12 });
    expect(await fileLines()).toEqual(await rig.redis.lrange(rig.keys.auditEvents(), 0, -1));
    expect(await verifier().verifyFile(rig.file)).toMatchObject({ ok: true, count: 12, behindBy: 0, reanchored: [6] });
    expect(await verifyJsonlFile(rig.file, key)).toMatchObject({ ok: true, count: 12, reanchored: [6] });
    const checkpointer = new AuditCheckpointer({
      redis: rig.redis,
      keys: rig.keys,
      logger: silentLogger(),
      now: () => new Date(),
      intervalMs: 0,
      reanchorKey: key,
    });
    expect(await checkpointer.checkpoint()).toMatchObject({ seq: 12 });
    await commit(rig.tx, 3, 13);
    expect(await verifier().verifyRedis({ fromCheckpoint: true })).toMatchObject({ ok: true, count: 3 });
  });

  it('is accepted only with the key it was signed with', async () => {
    await reanchor();
    expect(await verifier(null).verifyRedis()).toMatchObject({
      ok: false,
      firstBadSeq: 6,
      reason: expect.stringMatching(/re-anchor was refused: no AUDIT_REANCHOR_KEY/),
    });
    expect(await verifier(randomBytes(32)).verifyRedis()).toMatchObject({
      ok: false,
      firstBadSeq: 6,
      reason: expect.stringMatching(/signed with another key/),
    });
    await mirror.sync();
    expect(await verifyJsonlFile(rig.file)).toMatchObject({ ok: false, firstBadSeq: 6 });
  });

  it('never hides a later, different tampering, nor a change to the re-anchored event', async () => {
    await reanchor();
    const at = async (seq: number) => JSON.parse((await rig.redis.lindex(rig.keys.auditEvents(), seq - 1))!) as AuditEvent;
    const nine = await at(9);
    await rig.redis.lset(rig.keys.auditEvents(), 8, JSON.stringify({ ...nine, actor: 'someone-else' }));
    expect(await verifier().verifyRedis()).toEqual({ ok: false, firstBadSeq: 9, reason: EDITED, count: 8 });
    await rig.redis.lset(rig.keys.auditEvents(), 8, JSON.stringify(nine));
    await rig.redis.lset(rig.keys.auditEvents(), 5, JSON.stringify({ ...bad, details: { ...bad.details, format: 'csv' } }));
    expect(await verifier().verifyRedis()).toMatchObject({ ok: false, firstBadSeq: 6, reason: expect.stringMatching(/re-anchored, but has changed since/) });
  });

  it('is refused for anything but the first bad event, and for an edit the defect does not explain, even when signed', async () => {
    await expect(reanchor(7)).rejects.toThrow(/fails at seq 6, not 7/);
    const three = JSON.parse((await rig.redis.lindex(rig.keys.auditEvents(), 2))!) as AuditEvent;
    await rig.redis.lset(rig.keys.auditEvents(), 2, JSON.stringify({ ...three, details: { ...three.details, since: '2026-01-01T00:00:00.000Z' } }));
    await expect(reanchor(3)).rejects.toBeInstanceOf(ReanchorRefused);
    await expect(reanchor(3)).rejects.toThrow(/not what the Date hashing defect produces/);
    expect(await rig.redis.llen(rig.keys.auditEvents())).toBe(11); // nothing written
    // A key holder who writes a re-anchor for a real edit by hand still gets no pass.
    const forged = signReanchor(key, { reanchoredSeq: 3, storedHash: three.hash, recomputedHash: '0'.repeat(64), reason: 'hide it' });
    await rig.redis.hset(rig.keys.auditReanchors(), '3', JSON.stringify(forged));
    expect(await verifier().verifyRedis()).toMatchObject({ ok: false, firstBadSeq: 3, reason: expect.stringMatching(/has changed since/) });
  });

  it('is refused when the chain verifies', async () => {
    await reanchor();
    await expect(reanchor()).rejects.toThrow(/nothing to re-anchor/);
  });
});
