import { describe, expect, it } from 'vitest';
import { AccesslogImportService, type AccesslogBind, type AccesslogCursor } from '../../../src/sessions/accesslog-import.service.js';
import { silentLogger } from '../../support/log-capture.js';
import { ACCOUNT, SessionWorld } from '../../support/session-world.js';

const VENDOR_OU = 'ou=vendors,dc=school,dc=local';

/**
 * An accesslog as slapd keeps it: binds in write order, each with a
 * growing entryCSN; a read returns those after the cursor (all when none).
 * `ignoreCursor` replays everything, as after a crash before the cursor write.
 */
class FakeAccesslog {
  readonly binds: AccesslogBind[] = [];
  readonly reads: (AccesslogCursor | undefined)[] = [];
  ignoreCursor = false;
  private seq = 0;

  bind(account: string, result = 0, ou = VENDOR_OU, csn = true): void {
    const n = ++this.seq;
    const reqStart = `20300101000${String(n).padStart(3, '0')}.${String(n).padStart(6, '0')}Z`;
    this.binds.push({
      reqStart,
      bindDn: `uid=${account},${ou}`,
      result,
      method: 'SIMPLE',
      connection: String(1000 + n),
      ...(csn ? { entryCsn: `${reqStart.slice(0, 21)}Z#${String(n).padStart(6, '0')}#000#000000` } : {}),
    });
  }

  readonly read = (cursor: AccesslogCursor | undefined): Promise<AccesslogBind[]> => {
    this.reads.push(cursor);
    if (!cursor || this.ignoreCursor) return Promise.resolve([...this.binds]);
    const key = (b: AccesslogBind) => (cursor.includes('#') ? b.entryCsn! : b.reqStart);
    return Promise.resolve(this.binds.filter((b) => key(b) > cursor));
  };
}

function importer(w: SessionWorld, log: FakeAccesslog) {
  return new AccesslogImportService({ read: log.read, store: w.store, ingest: w.ingest, vendorOu: VENDOR_OU, source: 'ldap:dir1', logger: silentLogger() });
}

const audits = (w: SessionWorld) => w.domain.events().filter((e) => e.action === 'sessions.ingested');

describe('accesslog import', () => {
  it('imports successful and failed binds of vendor DNs as one pseudo session, skips other DNs, and moves the cursor to the newest entryCSN', async () => {
    const w = new SessionWorld();
    const log = new FakeAccesslog();
    log.bind(ACCOUNT);
    log.bind(ACCOUNT, 49);
    log.bind('admin', 0, 'dc=school,dc=local');
    const run = await importer(w, log).run();
    expect(run).toMatchObject({ read: 3, imported: 2, stored: 2, cursor: log.binds[2]!.entryCsn });
    expect(await w.store.accesslogCursor()).toBe(log.binds[2]!.entryCsn);
    const [session] = await w.sessionsOf();
    expect(session).toMatchObject({ source: 'ldap:dir1', origin: 'accesslog', sourceSessionId: 'ldap-binds', eventCount: 2 });
    const events = await w.store.getEvents(session!, 0, 10);
    expect(events.map((e) => e.type)).toEqual(['login', 'failed_login']);
    expect(events[1]!.detail).toBe(`LDAP bind SIMPLE failed (result 49) conn=1002 reqStart=${log.binds[1]!.reqStart}`);
    expect(audits(w).map((e) => [e.actor, e.details.stored])).toEqual([['accesslog-import', 2]]);
  });

  it('reads after the cursor next time, and an idle run stores and audits nothing', async () => {
    const w = new SessionWorld();
    const log = new FakeAccesslog();
    const job = importer(w, log);
    log.bind(ACCOUNT);
    await job.run();
    expect(await job.run()).toMatchObject({ read: 0, imported: 0, stored: 0 });
    log.bind(ACCOUNT);
    expect(await job.run()).toMatchObject({ read: 1, stored: 1, cursor: log.binds[1]!.entryCsn });
    expect(log.reads).toEqual([undefined, log.binds[0]!.entryCsn, log.binds[0]!.entryCsn]);
    expect(audits(w).map((e) => e.details.stored)).toEqual([1, 1]);
  });

  it('stores nothing twice and audits nothing when a run reads binds again (a crash before the cursor was saved)', async () => {
    const w = new SessionWorld();
    const log = new FakeAccesslog();
    log.bind(ACCOUNT);
    log.bind(ACCOUNT, 49);
    const job = importer(w, log);
    await job.run();
    log.ignoreCursor = true;
    expect(await job.run()).toMatchObject({ read: 2, imported: 2, stored: 0 });
    expect((await w.sessionsOf())[0]!.eventCount).toBe(2);
    expect(audits(w)).toHaveLength(1);
  });

  it('keeps a reqStart cursor where the server shows no entryCSN', async () => {
    const w = new SessionWorld();
    const log = new FakeAccesslog();
    log.bind(ACCOUNT, 0, VENDOR_OU, false);
    const job = importer(w, log);
    expect((await job.run()).cursor).toBe(log.binds[0]!.reqStart);
    expect(await job.run()).toMatchObject({ read: 0, stored: 0 });
  });
});
