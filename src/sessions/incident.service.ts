import type { ChainableCommander } from 'ioredis';
import { NotFound, PolicyViolation } from '../errors.js';
import type { Transactor } from '../store/transactor.js';
import type { RedisKeys } from '../store/redis-keys.js';
import { SessionKeys } from './session-keys.js';
import type { Incident, IncidentStatus } from './session-record.js';
import type { SessionReviewService } from './session-review.service.js';

/** A change to an incident's handling. */
export interface IncidentUpdate {
  status?: IncidentStatus;
  handlingNote?: string;
}

/**
 * Incident handling (clause 1.1.5): the handling note and status of an
 * anomaly escalated from a session review. Every change is audited and kept
 * in the incident's history; resolving needs a handling note, since the
 * record of how it was handled is the point.
 */
export class IncidentService {
  private readonly skeys: SessionKeys;

  constructor(private readonly deps: { keys: RedisKeys; tx: Transactor; reviews: SessionReviewService; now: () => Date }) {
    this.skeys = new SessionKeys(deps.keys);
  }

  update(actor: string, id: string, change: IncidentUpdate): Promise<Incident> {
    const { tx, now, reviews } = this.deps;
    const key = this.skeys.incident(id);
    return tx.run([key], async (redis) => {
      const raw = await redis.get(key);
      if (raw === null) throw new NotFound(`incident ${id} not found`);
      const before = JSON.parse(raw) as Incident;
      const status = change.status ?? before.status;
      const handlingNote = change.handlingNote ?? before.handlingNote;
      if (status === 'resolved' && !handlingNote)
        throw new PolicyViolation('an incident is resolved only with a handling note', [
          { rule: 'handling_note_required', field: 'handlingNote', message: 'say how the anomaly was handled' },
        ]);
      const at = now().toISOString();
      const incident: Incident = {
        ...before,
        status,
        ...(handlingNote ? { handlingNote } : {}),
        updatedAt: at,
        history: [...before.history, { at, by: actor, status, ...(change.handlingNote ? { handlingNote: change.handlingNote } : {}) }],
      };
      return {
        writes: (m: ChainableCommander) => reviews.putIncident(m, incident, false, before.status),
        events: [
          {
            actor,
            action: 'incident.updated',
            subject: `incident:${id}`,
            outcome: 'success',
            details: { from: before.status, to: status, ...(change.handlingNote ? { handlingNote: change.handlingNote } : {}), sessionId: before.sessionId },
          },
        ],
        result: incident,
      };
    });
  }
}
