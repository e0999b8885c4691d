import { afterEach, beforeEach, describe, expect, inject, it } from 'vitest';
import { AuditValueError, type AuditEvent } from '../../../src/audit/audit-event.js';
import { AuditCheckpointer } from '../../../src/audit/audit-checkpointer.js';
import { AuditCheckpointStore } from '../../../src/audit/audit-checkpoint.store.js';
import { AuditVerifier } from '../../../src/audit/audit-verifier.js';
import { ValidationError } from '../../../src/errors.js';
import { silentLogger } from '../../support/log-capture.js';
import { auditRig, commit, type AuditRig } from '../../support/audit-rig.js';

describe('verifying the audit trail in Redis', () => {
  let rig: AuditRig;
  let verifier: AuditVerifier;
  beforeEach(async () => {
    rig = await auditRig(inject('redisUrl'));
    verifier = new AuditVerifier(rig.redis, rig.keys);
    await commit(rig.tx, 20);
  });
  afterEach(() => rig.close());

  const key = () => rig.keys.auditEvents();
  const at = async (seq: number) => (await rig.redis.lindex(key(), seq - 1))!;

  it('is ok after a sequence of transactions', async () => {
    const head = JSON.parse((await rig.redis.get(rig.keys.auditHead()))!) as { seq: number; hash: string };
    expect(await verifier.verifyRedis()).toEqual({ ok: true, count: 20, head, fromSeq: 1 });
  });

  it('locates an event edited in place (LSET)', async () => {
    const e = JSON.parse(await at(7)) as AuditEvent;
    await rig.redis.lset(key(), 6, JSON.stringify({ ...e, outcome: 'success', actor: 'someone-else' }));
    expect(await verifier.verifyRedis()).toMatchObject({ ok: false, firstBadSeq: 7 });
  });

  it('locates a deleted event (LREM)', async () => {
    await rig.redis.lrem(key(), 1, await at(12));
    expect(await verifier.verifyRedis()).toMatchObject({ ok: false, firstBadSeq: 12 });
  });

  it('locates two swapped events', async () => {
    const [a, b] = [await at(4), await at(5)];
    await rig.redis.lset(key(), 3, b);
    await rig.redis.lset(key(), 4, a);
    expect(await verifier.verifyRedis()).toMatchObject({ ok: false, firstBadSeq: 4 });
  });

  it('locates an inserted event (LINSERT)', async () => {
    await rig.redis.linsert(key(), 'BEFORE', await at(9), await at(2));
    expect(await verifier.verifyRedis()).toMatchObject({ ok: false, firstBadSeq: 9 });
  });

  it('notices the newest event removed (RPOP), against the head', async () => {
    await rig.redis.rpop(key());
    expect(await verifier.verifyRedis()).toMatchObject({ ok: false, firstBadSeq: 20 });
  });

  it('verifies from a given seq', async () => {
    expect(await verifier.verifyRedis({ fromSeq: 15 })).toMatchObject({ ok: true, count: 6, fromSeq: 15 });
    await expect(verifier.verifyRedis({ fromSeq: 99 })).rejects.toBeInstanceOf(ValidationError);
  });

  it('checkpoints the verified head and verifies from the newest checkpoint', async () => {
    const checkpointer = new AuditCheckpointer({ redis: rig.redis, keys: rig.keys, logger: silentLogger(), now: () => new Date(), intervalMs: 0 });
    expect(await checkpointer.checkpoint()).toMatchObject({ seq: 20 });
    expect(await checkpointer.checkpoint()).toBeNull(); // nothing new
    await commit(rig.tx, 5, 21);
    expect(await verifier.verifyRedis({ fromCheckpoint: true })).toMatchObject({ ok: true, count: 5, fromSeq: 21 });
    expect(await checkpointer.checkpoint()).toMatchObject({ seq: 25 });
    expect((await new AuditCheckpointStore(rig.redis, rig.keys).after()).map((c) => c.seq)).toEqual([20, 25]);
  });

  it('refuses a checkpoint over a broken chain and records the break once', async () => {
    const recorded: string[] = [];
    const checkpointer = new AuditCheckpointer({
      redis: rig.redis,
      keys: rig.keys,
      logger: silentLogger(),
      now: () => new Date(),
      intervalMs: 0,
      audit: (e) => Promise.resolve(void recorded.push(e.action)),
    });
    await rig.redis.lset(key(), 2, (await at(3)).replace('req_3', 'req_33'));
    expect(await checkpointer.checkpoint()).toMatchObject({ ok: false, firstBadSeq: 3 });
    expect(await checkpointer.checkpoint()).toMatchObject({ ok: false, firstBadSeq: 3 });
    expect(recorded).toEqual(['audit.verify_failed']);
    expect(await new AuditCheckpointStore(rig.redis, rig.keys).latest()).toBeNull();
  });

  it('catches a chain rewritten after a checkpoint, even verifying the whole chain', async () => {
    await new AuditCheckpointer({ redis: rig.redis, keys: rig.keys, logger: silentLogger(), now: () => new Date(), intervalMs: 0 }).checkpoint();
    // An attacker with Redis access rebuilds the whole trail from scratch, consistently.
    await rig.redis.del(key(), rig.keys.auditHead());
    await commit(rig.tx, 20, 1, { actor: 'mallory' });
    expect(await verifier.verifyRedis()).toMatchObject({ ok: false, firstBadSeq: 20, reason: expect.stringMatching(/checkpoint/) });
    expect(await verifier.verifyRedis({ fromCheckpoint: true })).toMatchObject({ ok: false, firstBadSeq: 20 });
  });
});

describe('appending values that are not JSON', () => {
  let rig: AuditRig;
  beforeEach(async () => void (rig = await auditRig(inject('redisUrl'))));
  afterEach(() => rig.close());

  it('stores a Date as its ISO string, refuses a Map in its own transaction only, and keeps the chain verifiable', async () => {
    const writes: string[] = [];
    const run = (details: Record<string, unknown>, key: string) =>
      rig.tx.run([`${rig.prefix}:${key}`], () =>
        Promise.resolve({
          writes: (m) => void m.set(`${rig.prefix}:${key}`, '1'),
          events: [{ actor: 'a', action: 'x.y', subject: key, outcome: 'success' as const, details }],
          result: writes.push(key),
        }),
      );
    const outcomes = await Promise.allSettled([
      run({ since: new Date('2026-01-01T00:00:00Z') }, 'dated'),
      run({ ids: new Map([['a', 1]]) }, 'mapped'),
      run({ n: 1 }, 'plain'),
    ]);
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((outcomes[1] as PromiseRejectedResult).reason).toBeInstanceOf(AuditValueError);
    expect(((outcomes[1] as PromiseRejectedResult).reason as Error).message).toMatch(/details\.ids: a Map is not a plain object/);
    expect(await rig.redis.exists(`${rig.prefix}:mapped`)).toBe(0); // nothing half-written
    const events = (await rig.redis.lrange(rig.keys.auditEvents(), 0, -1)).map((l) => JSON.parse(l) as AuditEvent);
    expect(events.map((e) => [e.subject, e.details])).toEqual([
      ['dated', { since: '2026-01-01T00:00:00.000Z' }],
      ['plain', { n: 1 }],
    ]);
    expect(await new AuditVerifier(rig.redis, rig.keys).verifyRedis()).toMatchObject({ ok: true, count: 2 });
  });
});

describe('appends from several processes', () => {
  let rig: AuditRig;
  beforeEach(async () => void (rig = await auditRig(inject('redisUrl'))));
  afterEach(() => rig.close());

  it('never fork the chain', async () => {
    // Two Transactors on two connections: Redis sees two processes racing for the head.
    const [a, b] = [rig.newTransactor(), rig.newTransactor()];
    await Promise.all([
      ...Array.from({ length: 60 }, (_, i) => commit(a, 1, i + 1, { actor: 'process-a' })),
      ...Array.from({ length: 60 }, (_, i) => commit(b, 1, i + 1, { actor: 'process-b' })),
    ]);
    const result = await new AuditVerifier(rig.redis, rig.keys).verifyRedis();
    expect(result).toMatchObject({ ok: true, count: 120, head: { seq: 120 } });
    const actors = (await rig.redis.lrange(rig.keys.auditEvents(), 0, -1)).map((l) => (JSON.parse(l) as AuditEvent).actor);
    expect(actors.filter((x) => x === 'process-a')).toHaveLength(60);
    expect(actors.filter((x) => x === 'process-b')).toHaveLength(60);
  });

  it('settle every transaction when three busy processes race for the head', async () => {
    // The process that wins a race hears back first and tends to win the next one too: without a random pause
    // after a lost race, a loser could lose 50 times in a row and give up.
    const txs = [rig.newTransactor(), rig.newTransactor(), rig.newTransactor()];
    const results = await Promise.allSettled(txs.flatMap((tx, p) => Array.from({ length: 200 }, (_, i) => commit(tx, 1, i + 1, { actor: `process-${p}` }))));
    expect(results.filter((r) => r.status === 'rejected')).toEqual([]);
    expect(await new AuditVerifier(rig.redis, rig.keys).verifyRedis()).toMatchObject({ ok: true, count: 600 });
  });
});
