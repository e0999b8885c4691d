import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { Client } from 'ldapts';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { AccesslogImportService, ldapAccesslogReader } from '../../../src/sessions/accesslog-import.service.js';
import { SessionIngestService } from '../../../src/sessions/session-ingest.service.js';
import { RedisSessionStore } from '../../../src/sessions/redis-session.store.js';
import { SessionKeys } from '../../../src/sessions/session-keys.js';
import { SessionQueryStore } from '../../../src/sessions/session-query.store.js';
import type { SessionQueries } from '../../../src/sessions/session-store.port.js';
import { RedisRecordStore } from '../../../src/store/redis-record.store.js';
import { DEFAULT_PRIVILEGED_COMMANDS, type Policy } from '../../../src/config/policy.schema.js';
import { silentLogger } from '../../support/log-capture.js';
import { childDn } from '../../../src/provisioner/ldap/escape.js';
import type { LdapConnection } from '../../../src/provisioner/ldap/ldap-connection.js';
import { toGeneralizedTime } from '../../../src/provisioner/ldap/ldap-entry.js';
import { RedisKeys } from '../../../src/store/redis-keys.js';
import { Transactor } from '../../../src/store/transactor.js';
import { adminConnection, createLdapSubtree, type LdapSubtree } from '../../rig/ldap-subtree.js';
import { fakeDirectory, NO_DIRECTORY } from '../../support/session-fixtures.js';
import { eventually, slapdTarget, startTestService } from '../../support/service-harness.js';

describe('the OpenLDAP accesslog import', () => {
  let subtree: LdapSubtree;
  let redis: Redis;
  let reader: LdapConnection;
  let importer: AccesslogImportService;
  let query: SessionQueries;
  let keys: RedisKeys;
  /** The audit trail's `sessions.ingested` events of the accesslog import. */
  const importAudits = async (): Promise<{ details: { stored: number } }[]> =>
    (await redis.lrange(keys.auditEvents(), 0, -1))
      .map((line) => JSON.parse(line) as { action: string; actor: string; details: { stored: number } })
      .filter((e) => e.action === 'sessions.ingested' && e.actor === 'accesslog-import');
  /** Every event stored for the vendor account, over all its sessions. */
  const storedCount = async (): Promise<number> =>
    (await query.listSessions({ account: username }, undefined, 100)).items.reduce((n, s) => n + s.eventCount, 0);
  const password = `Pw-${randomBytes(8).toString('hex')}`;
  const username = `v-bind-${randomBytes(3).toString('hex')}`;

  async function bind(dn: string, secret: string): Promise<boolean> {
    const slapd = inject('slapd');
    const client = new Client({ url: slapd.ldapsUrl, tlsOptions: { ca: slapd.caPem } });
    try {
      await client.bind(dn, secret);
      return true;
    } catch {
      return false;
    } finally {
      await client.unbind().catch(() => undefined);
    }
  }

  beforeAll(async () => {
    subtree = await createLdapSubtree('ses');
    const dn = childDn('uid', username, subtree.dn);
    await subtree.admin.add(dn, { objectClass: ['inetOrgPerson'], uid: [username], cn: [username], sn: ['Vendor'], userPassword: [password] });
    redis = new Redis(inject('redisUrl'));
    keys = new RedisKeys(`t${randomBytes(5).toString('hex')}`);
    const tx = new Transactor(redis.duplicate(), keys, () => new Date());
    const store = new RedisSessionStore({ redis, records: new RedisRecordStore(redis, keys), tx });
    const ingest = new SessionIngestService({
      store,
      policy: { privilegedCommands: DEFAULT_PRIVILEGED_COMMANDS, idleTimeoutMinutes: 30, failedLoginBurst: 5, reviewDueDays: 7 },
      now: () => new Date(),
    });
    reader = adminConnection();
    importer = new AccesslogImportService({
      read: ldapAccesslogReader(reader),
      store,
      ingest,
      vendorOu: subtree.dn,
      source: 'ldap:127.0.0.1',
      logger: silentLogger(),
    });
    query = store;
  });
  afterAll(async () => {
    await reader?.close();
    await redis?.quit();
    await subtree?.cleanup();
  });

  it('imports successful and failed binds of vendor DNs, with a cursor, and not twice', async () => {
    const dn = childDn('uid', username, subtree.dn);
    expect(await bind(dn, password)).toBe(true);
    expect(await bind(dn, 'wrong-password')).toBe(false);
    const slapd = inject('slapd');
    expect(await bind(slapd.bindDn, slapd.bindPassword)).toBe(true); // not a vendor DN: not imported

    const first = await importer.run();
    expect(first.imported).toBe(2);
    expect(first.stored).toBe(2);
    expect(first.cursor).toMatch(/^\d{14}\.\d{6}Z#[0-9a-f]{6}#[0-9a-f]{3}#[0-9a-f]{6}$/); // entryCSN
    const page = await query.listSessions({ account: username }, undefined, 10);
    expect(page.items).toHaveLength(1);
    const [session] = page.items;
    expect(session).toMatchObject({ account: username, source: 'ldap:127.0.0.1', origin: 'accesslog', eventCount: 2, accountKnown: false });
    const events = await query.getEvents(session!, 0, 10);
    expect(events.map((e) => e.type).sort()).toEqual(['failed_login', 'login']);
    expect(events.find((e) => e.type === 'failed_login')!.detail).toMatch(/result 49/);

    const again = await importer.run();
    // Strictly after the cursor: the vendor's binds are not read again (other suites' binds on this slapd may be).
    expect(again).toMatchObject({ imported: 0, stored: 0 });
    expect((await query.getSession(session!.id))!.eventCount).toBe(2);
  });

  it('audits only runs that stored something: idle runs import and audit nothing, a new bind is one event and one audit', async () => {
    const dn = childDn('uid', username, subtree.dn);
    await importer.run(); // whatever the earlier test left
    const audits = (await importAudits()).length;
    const stored = await storedCount();
    for (let i = 0; i < 4; i++) expect(await importer.run()).toMatchObject({ imported: 0, stored: 0 });
    expect(await importAudits()).toHaveLength(audits);
    expect(await storedCount()).toBe(stored);

    expect(await bind(dn, password)).toBe(true);
    expect(await importer.run()).toMatchObject({ imported: 1, stored: 1 });
    const after = await importAudits();
    expect(after).toHaveLength(audits + 1);
    expect(after.at(-1)!.details).toMatchObject({ received: 1, stored: 1, duplicates: 0 });
    expect(await storedCount()).toBe(stored + 1);
    for (let i = 0; i < 3; i++) expect(await importer.run()).toMatchObject({ imported: 0, stored: 0 });
    expect(await importAudits()).toHaveLength(audits + 1);
  });

  it('takes over a reqStart cursor of an earlier version and moves on to entryCSN, storing nothing twice', async () => {
    const dn = childDn('uid', username, subtree.dn);
    expect(await bind(dn, password)).toBe(true);
    await importer.run();
    const audits = (await importAudits()).length;
    const stored = await storedCount();
    // What the previous version left: a reqStart a minute before the newest bind it had seen.
    await redis.set(new SessionKeys(keys).accesslogCursor(), toGeneralizedTime(new Date(Date.now() - 60_000)));
    const run = await importer.run();
    expect(run.read).toBeGreaterThanOrEqual(1);
    expect(run.stored).toBe(0);
    expect(run.cursor).toContain('#');
    expect(await importAudits()).toHaveLength(audits);
    expect(await storedCount()).toBe(stored);
    expect(await importer.run()).toMatchObject({ imported: 0 });
  });

  it('is scheduled as the repeating accesslog-import job, every sessions.accesslogImportSeconds, when the directory is OpenLDAP', async () => {
    const slapd = inject('slapd');
    const svc = await startTestService({
      redisUrl: inject('redisUrl'),
      mode: 'worker',
      policy: { sessions: { accesslogImportSeconds: 7 } } as Partial<Policy>,
      directory: slapdTarget(slapd, subtree.dn),
    });
    try {
      expect(await svc.redis.zrange(`${svc.prefix}:q:maintenance:repeat`, 0, -1)).toContain('accesslog-import');
      expect(await svc.redis.hget(`${svc.prefix}:q:maintenance:repeat:accesslog-import`, 'every')).toBe('7000');
    } finally {
      await svc.close();
    }
  });

  it('is imported by the worker from the directory the configuration names, also when the directory adapter is injected', async () => {
    const slapd = inject('slapd');
    // The adapter is a fake: the import must still read the configured slapd (no test seam switches it off).
    const svc = await startTestService({
      redisUrl: inject('redisUrl'),
      mode: 'worker',
      fakeDirectory: fakeDirectory(),
      policy: { sessions: { accesslogImportSeconds: 1 } } as Partial<Policy>,
      directory: slapdTarget(slapd, subtree.dn),
    });
    try {
      // An account of its own: the tests above lock and re-bind the shared one.
      const fresh = `v-wrk-${randomBytes(3).toString('hex')}`;
      const dn = childDn('uid', fresh, subtree.dn);
      await subtree.admin.add(dn, { objectClass: ['inetOrgPerson'], uid: [fresh], cn: [fresh], sn: ['Vendor'], userPassword: [password] });
      expect(await bind(dn, password)).toBe(true);
      const sessions = new SessionQueryStore(svc.redis, new RedisKeys(svc.prefix));
      const found = await eventually(async () => {
        const page = await sessions.listSessions({ account: fresh }, undefined, 100);
        return page.items.length ? page.items : null;
      }, 20_000);
      expect(found[0]).toMatchObject({ source: 'ldap:127.0.0.1', origin: 'accesslog' });
    } finally {
      await svc.close();
    }
  });

  it('is not scheduled when the directory is Active Directory (no accesslog), while the other repeating jobs are', async () => {
    const svc = await startTestService({
      redisUrl: inject('redisUrl'),
      mode: 'worker',
      fakeDirectory: fakeDirectory(),
      directory: { ...NO_DIRECTORY, dialect: 'ad' },
    });
    try {
      const scheduled = [
        ...(await svc.redis.zrange(`${svc.prefix}:q:maintenance:repeat`, 0, -1)),
        ...(await svc.redis.zrange(`${svc.prefix}:q:reconciliation:repeat`, 0, -1)),
      ];
      expect(scheduled.sort()).toEqual(['purge', 'reconcile', 'sweep']);
    } finally {
      await svc.close();
    }
  });
});
