import type { RoomRegisterService } from '../rooms/room-register.service.js';
import type { RoomVisit } from '../rooms/room-visit.js';
import type { EvidenceRoomVisit } from './evidence-pack.schema.js';
import type { EvidenceRooms } from './evidence.service.js';

/** Room visits listed in one part of a pack at most, oldest first; the pack says when there were more. */
export const ROOM_VISIT_LIMIT = 500;

/** The machine-room register (clause 1.8) as evidence packs read it. */
export function registerRooms(register: Pick<RoomRegisterService, 'list'>): EvidenceRooms {
  return {
    async visits(query) {
      const all = await register.list(query);
      return { available: true, items: all.slice(0, ROOM_VISIT_LIMIT).map(visitOf), truncated: all.length > ROOM_VISIT_LIMIT };
    },
  };
}

function visitOf(v: RoomVisit): EvidenceRoomVisit {
  const { id, personId, requestId, room, purpose, escortedBy, enteredAt, exitedAt, media, mediaOut, flags } = v;
  return {
    id,
    personId,
    requestId,
    room,
    purpose,
    escortedBy,
    enteredAt,
    ...(exitedAt ? { exitedAt } : {}),
    media,
    ...(mediaOut ? { mediaOut } : {}),
    flags,
  };
}
