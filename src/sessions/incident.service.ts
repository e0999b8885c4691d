import { NotFound, PolicyViolation } from '../errors.js';
import type { Incident, IncidentStatus } from './session-record.js';
import { sessionRef, type SessionStore } from './session-store.port.js';

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
  constructor(private readonly deps: { store: SessionStore; now: () => Date }) {}

  update(actor: string, id: string, change: IncidentUpdate): Promise<Incident> {
    const { store, now } = this.deps;
    return store.run([sessionRef.incident(id)], async (read) => {
      const before = await read.incident(id);
      if (!before) throw new NotFound(`incident ${id} not found`);
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
        writes: (w) => w.putIncident(incident, before),
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
