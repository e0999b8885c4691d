import type { AuditEvent } from '../audit/audit-event.js';
import type { AuditQueryStore } from '../audit/audit-query.store.js';
import type { AuditVerifier } from '../audit/audit-verifier.js';
import type { EvidenceTrail } from './evidence-proof.js';

/** The evidence packs' view of the Redis audit trail: the auditors' reader and verifier. */
export function redisEvidenceTrail(query: AuditQueryStore, verifier: AuditVerifier): EvidenceTrail {
  return {
    // Sealed segments are read only where their indexes name one of the subjects.
    async *events(since: Date | undefined, subjects: readonly string[]): AsyncGenerator<AuditEvent> {
      for await (const { event } of query.events(since ? { since, subjects } : { subjects })) yield event;
    },
    verifyCovering: (seqs) => verifier.verifyCovering(seqs),
  };
}
