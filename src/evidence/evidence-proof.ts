import type { AuditEvent } from '../audit/audit-event.js';
import type { VerifyResult } from '../audit/audit-verifier.js';
import type { EvidenceProof } from './evidence-pack.schema.js';

/**
 * What an evidence pack reads of the audit trail: the events from a time on,
 * and a verification of the chain from one seq up to the recorded head.
 * Implemented over Redis by evidence-trail.ts; unit tests give a list.
 */
export interface EvidenceTrail {
  /** Events oldest first, from about `since` on (a few minutes earlier is fine: subjects are filtered after). */
  events(since: Date | undefined): AsyncIterable<AuditEvent>;
  /** Verifies the chain from `fromSeq` (trusting the stored hash of the event before it) up to the head. */
  verifyFrom(fromSeq: number): Promise<VerifyResult>;
}

/** Events listed in a pack's proof at most; the verification covers the whole range however many there are. */
export const PROOF_EVENT_LIMIT = 5000;

/** The events found for a pack: all of them (for the sections that read them) and the proof section. */
export interface CollectedProof {
  events: AuditEvent[];
  proof: EvidenceProof;
}

/**
 * Finds every audit event about `subjects` from `since` on, and verifies
 * the chain from the oldest of them to the head: if any event in that range
 * was edited, deleted, inserted or reordered, or the range does not end at
 * the recorded head, the verification says so and where.
 */
export async function collectProof(trail: EvidenceTrail, subjects: string[], since: Date | undefined, now: () => Date): Promise<CollectedProof> {
  const wanted = new Set(subjects);
  const events: AuditEvent[] = [];
  for await (const event of trail.events(since)) if (wanted.has(event.subject)) events.push(event);
  const fromSeq = events.length ? Math.min(...events.map((e) => e.seq)) : null;
  const verifiedAt = now().toISOString();
  let verification: EvidenceProof['verification'];
  if (fromSeq === null) verification = { ok: true, verifiedAt, fromSeq: null, count: 0, head: null };
  else {
    const result = await trail.verifyFrom(fromSeq);
    verification = result.ok
      ? { ok: true, verifiedAt, fromSeq, count: result.count, head: result.head }
      : { ok: false, verifiedAt, fromSeq, count: result.count, head: null, firstBadSeq: result.firstBadSeq, reason: result.reason };
  }
  const listed = events.slice(0, PROOF_EVENT_LIMIT);
  return {
    events,
    proof: {
      subjects: [...wanted],
      events: listed.map(({ seq, at, actor, action, subject, outcome, prevHash, hash }) => ({ seq, at, actor, action, subject, outcome, prevHash, hash })),
      eventCount: events.length,
      truncated: events.length > listed.length,
      verification,
    },
  };
}
