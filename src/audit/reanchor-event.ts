import type { Redis } from 'ioredis';
import { AuditTrail } from './archive/audit-trail.js';
import { EXIT, OperatorError } from '../errors.js';
import type { RedisKeys } from '../store/redis-keys.js';
import type { Transactor } from '../store/transactor.js';
import { hashEvent } from './audit-event.js';
import { AuditVerifier, type VerifyResult } from './audit-verifier.js';
import { EDITED, parseEvent } from './chain-checker.js';
import { explainedByDateDefect, REANCHOR_ACTION, signReanchor, type ReanchorRecord } from './reanchor.js';

/** Why a re-anchor was not made; the trail is unchanged. The CLI exits 1, as for a broken trail. */
export class ReanchorRefused extends OperatorError {
  constructor(message: string) {
    super(message, EXIT.broken);
  }
}

export interface ReanchorRequest {
  seq: number;
  reason: string;
  /** Who asks, as the audit event's actor (the CLI passes `cli:<user>@<host>`). */
  actor: string;
}

export interface ReanchorOutcome {
  record: ReanchorRecord;
  /** The verdict on the whole chain after the re-anchor. */
  after: VerifyResult;
}

/**
 * Makes the signed re-anchor of one event, for the operator CLI. Refuses
 * unless verification fails at exactly that seq because its content does not
 * match its hash, and that stored hash is what the Date defect produces from
 * the content — anything else is tampering or another fault, to be restored
 * from the mirror or a backup, never re-anchored. The index entry and the
 * `audit.reanchored` event are written in one transaction.
 */
export async function reanchorEvent(redis: Redis, keys: RedisKeys, tx: Transactor, key: Buffer, req: ReanchorRequest): Promise<ReanchorOutcome> {
  const verifier = new AuditVerifier(redis, keys, key);
  const before = await verifier.verifyRedis();
  if (before.ok) throw new ReanchorRefused('the chain verifies: there is nothing to re-anchor');
  if (before.firstBadSeq !== req.seq)
    throw new ReanchorRefused(
      `verification fails at seq ${before.firstBadSeq}, not ${req.seq} (${before.reason}); re-anchor only the first bad event, one at a time`,
    );
  if (before.reason !== EDITED) throw new ReanchorRefused(`seq ${req.seq} is not only edited: ${before.reason}`);
  // Verification failed at this seq in the live tail (sealed segments verified before they were sealed).
  const raw = await new AuditTrail(redis, keys).line(req.seq);
  const event = raw === null ? 'missing' : parseEvent(raw);
  if (typeof event === 'string') throw new ReanchorRefused(`seq ${req.seq} is ${event}`);
  if (!explainedByDateDefect(event))
    throw new ReanchorRefused(
      `the stored hash of seq ${req.seq} is not what the Date hashing defect produces from its content: this is not that defect; restore the event from the mirror or a backup instead`,
    );
  const record = signReanchor(key, { reanchoredSeq: req.seq, storedHash: event.hash, recomputedHash: hashEvent(event), reason: req.reason });
  const index = keys.auditReanchors();
  await tx.run([index], async (r) => {
    if (await r.hexists(index, String(req.seq))) throw new ReanchorRefused(`seq ${req.seq} is re-anchored already`);
    return {
      writes: (m) => void m.hset(index, String(req.seq), JSON.stringify(record)),
      events: [{ actor: req.actor, action: REANCHOR_ACTION, subject: `audit:seq:${req.seq}`, outcome: 'success' as const, details: { ...record } }],
      result: undefined,
    };
  });
  return { record, after: await verifier.verifyRedis() };
}
