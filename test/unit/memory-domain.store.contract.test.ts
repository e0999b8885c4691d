import { MemoryDomainStore } from '../../src/store/memory/memory-domain.store.js';
import { storeContract } from '../contract/store.contract.js';
import { FakeClock } from '../support/fake-clock.js';

storeContract('in memory', () => {
  const clock = new FakeClock();
  const store = new MemoryDomainStore({ now: clock.now });
  return Promise.resolve({
    store,
    otherProcess: () => store.peer(),
    auditTrail: () => Promise.resolve(store.events()),
    clock,
    cleanup: () => Promise.resolve(),
  });
});
