import { MemorySessionStore } from '../../../src/sessions/memory-session.store.js';
import { MemoryDomainStore } from '../../../src/store/memory/memory-domain.store.js';
import { MemoryRecords } from '../../../src/store/memory/memory-records.js';
import { sessionStoreContract } from '../../contract/session-store.contract.js';
import { FakeClock } from '../../support/fake-clock.js';

sessionStoreContract('in memory', () => {
  const clock = new FakeClock();
  const records = new MemoryRecords();
  const domain = new MemoryDomainStore({ now: clock.now }, records);
  const sessions = new MemorySessionStore({ now: clock.now }, records);
  return Promise.resolve({
    sessions,
    domain,
    otherProcess: () => sessions.peer(),
    auditTrail: () => Promise.resolve(domain.events()),
    clock,
    cleanup: () => Promise.resolve(),
  });
});
