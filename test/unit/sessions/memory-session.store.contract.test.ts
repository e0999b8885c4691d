import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemorySessionStore } from '../../../src/sessions/memory-session.store.js';
import { SessionArchive } from '../../../src/sessions/session-archive.js';
import { MemoryDomainStore } from '../../../src/store/memory/memory-domain.store.js';
import { MemoryRecords } from '../../../src/store/memory/memory-records.js';
import { sessionStoreContract } from '../../contract/session-store.contract.js';
import { FakeClock } from '../../support/fake-clock.js';

sessionStoreContract('in memory', () => {
  const clock = new FakeClock();
  const records = new MemoryRecords();
  const domain = new MemoryDomainStore({ now: clock.now }, records);
  const dir = mkdtempSync(join(tmpdir(), 'leasehold-archive-'));
  const archive = new SessionArchive(dir);
  const sessions = new MemorySessionStore({ now: clock.now, archive }, records);
  return Promise.resolve({
    sessions,
    domain,
    otherProcess: () => sessions.peer(),
    auditTrail: () => Promise.resolve(domain.events()),
    clock,
    archive,
    archiveDir: dir,
    cleanup: () => Promise.resolve(rmSync(dir, { recursive: true, force: true })),
  });
});
