import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { Client } from 'ldapts';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { AccesslogImporter, ldapAccesslogReader } from '../../../src/audit/sessions/accesslog-importer.js';
import { SessionIngestService } from '../../../src/audit/sessions/session-ingest.service.js';
import { SessionQueryStore } from '../../../src/audit/sessions/session-query.store.js';
import { DEFAULT_PRIVILEGED_COMMANDS } from '../../../src/config/policy.schema.js';
import { silentLogger } from '../../../src/logger.js';
import { childDn } from '../../../src/provisioner/ldap/escape.js';
import type { LdapConnection } from '../../../src/provisioner/ldap/ldap-connection.js';
import { RedisKeys } from '../../../src/store/redis-keys.js';
import { Transactor } from '../../../src/store/transactor.js';
import { adminConnection, createLdapSubtree, type LdapSubtree } from '../../rig/ldap-subtree.js';
import { startTestService } from '../../support/service-harness.js';

describe('the OpenLDAP accesslog import', () => {
  let subtree: LdapSubtree;
  let redis: Redis;
  let reader: LdapConnection;
  let importer: AccesslogImporter;
  let query: SessionQueryStore;
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
    const keys = new RedisKeys(`t${randomBytes(5).toString('hex')}`);
    const tx = new Transactor(redis.duplicate(), keys, () => new Date());
    const ingest = new SessionIngestService({ keys, tx, policy: { privilegedCommands: DEFAULT_PRIVILEGED_COMMANDS, idleTimeoutMinutes: 30, failedLoginBurst: 5, reviewDueDays: 7 }, now: () => new Date() });
    reader = adminConnection();
    importer = new AccesslogImporter({ read: ldapAccesslogReader(reader), redis, keys, ingest, vendorOu: subtree.dn, source: 'ldap:127.0.0.1', logger: silentLogger() });
    query = new SessionQueryStore(redis, keys);
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
    expect(first.cursor).toMatch(/^\d{14}Z$/);
    const page = await query.listSessions({ account: username }, undefined, 10);
    expect(page.items).toHaveLength(1);
    const [session] = page.items;
    expect(session).toMatchObject({ account: username, source: 'ldap:127.0.0.1', origin: 'accesslog', eventCount: 2, accountKnown: false });
    const events = await query.getEvents(session!, 0, 10);
    expect(events.map((e) => e.type).sort()).toEqual(['failed_login', 'login']);
    expect(events.find((e) => e.type === 'failed_login')!.detail).toMatch(/result 49/);

    const again = await importer.run();
    expect(again.read).toBeGreaterThanOrEqual(2); // the overlap reads them again …
    expect((await query.getSession(session!.id))!.eventCount).toBe(2); // … and dedupe keeps them once
  });

  it('is scheduled as the repeating accesslog-import job when the directory is OpenLDAP', async () => {
    const slapd = inject('slapd');
    const svc = await startTestService({
      redisUrl: inject('redisUrl'), mode: 'worker',
      directory: { url: slapd.ldapsUrl, dialect: 'openldap', bindDn: slapd.bindDn, bindPassword: slapd.bindPassword, baseDn: slapd.baseDn, vendorOu: subtree.dn, caPem: slapd.caPem },
    });
    try {
      expect(await svc.redis.zrange(`${svc.prefix}:q:maintenance:repeat`, 0, -1)).toContain('accesslog-import');
    } finally {
      await svc.close();
    }
  });
});
