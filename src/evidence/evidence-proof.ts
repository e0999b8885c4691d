import type { AuditEvent } from '../audit/audit-event.js';
import type { VerifyResult } from '../audit/audit-verifier.js';
import type { EvidenceProof } from './evidence-pack.schema.js';

/**
 * What an evidence pack reads of the audit trail: the events from a time on,
 * and a verification of the chain from one seq up to the recorded head.
 * Implemented over Redis by evidence-trail.ts; unit tests give a list.
 */
export interface EvidenceTrail {
  /** Events oldest first, from about `since` on, about these subjects (more is fine: subjects are filtered again). */
  events(since: Date | undefined, subjects: readonly string[]): AsyncIterable<AuditEvent>;
  /**
   * Verifies the chain that vouches for the events at `seqs` up to the head: from the oldest of them,
   * or, where the trail is sealed, the segments holding them, the seal chain and the live tail.
   */
  verifyCovering(seqs: readonly number[]): Promise<VerifyResult>;
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
 * the recorded head, the verification says so and where. Where the trail is
 * sealed into ARCHIVE_DIR, "the range" is the segments holding the pack's
 * events, the seal chain that links them to the live tail, and the tail: the
 * cost of a pack follows its events, not the history since the vendor began.
 */
export async function collectProof(trail: EvidenceTrail, subjects: string[], since: Date | undefined, now: () => Date): Promise<CollectedProof> {
  const wanted = new Set(subjects);
  const events: AuditEvent[] = [];
  for await (const event of trail.events(since, [...wanted])) if (wanted.has(event.subject)) events.push(event);
  const oldest = events.length ? Math.min(...events.map((e) => e.seq)) : null;
  const verifiedAt = now().toISOString();
  let verification: EvidenceProof['verification'];
  if (oldest === null) verification = { ok: true, verifiedAt, fromSeq: null, count: 0, head: null };
  else {
    const result = await trail.verifyCovering(events.map((e) => e.seq));
    verification = result.ok
      ? { ok: true, verifiedAt, fromSeq: oldest, count: result.count, head: result.head }
      : { ok: false, verifiedAt, fromSeq: oldest, count: result.count, head: null, firstBadSeq: result.firstBadSeq, reason: result.reason };
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
