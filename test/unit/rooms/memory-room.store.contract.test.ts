import { MemoryRoomStore } from '../../../src/rooms/memory-room.store.js';
import { MemoryDomainStore } from '../../../src/store/memory/memory-domain.store.js';
import { roomStoreContract } from '../../contract/room-store.contract.js';
import { FakeClock } from '../../support/fake-clock.js';

roomStoreContract('in memory', () => {
  const clock = new FakeClock();
  const domain = new MemoryDomainStore({ now: clock.now });
  return Promise.resolve({
    rooms: new MemoryRoomStore(domain),
    auditTrail: () => Promise.resolve(domain.events()),
    cleanup: () => Promise.resolve(),
  });
});
