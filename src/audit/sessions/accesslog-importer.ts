import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { GreaterThanEqualsFilter } from 'ldapts';
import type { Logger } from '../../logger.js';
import { firstRdnValue, normalizeDn } from '../../provisioner/ldap/escape.js';
import type { LdapConnection } from '../../provisioner/ldap/ldap-connection.js';
import { attrValue, fromGeneralizedTime, toGeneralizedTime } from '../../provisioner/ldap/ldap-entry.js';
import { and, eq } from '../../provisioner/ldap/ldap-filters.js';
import { JOBS } from '../../queues/job-registry.js';
import type { RedisKeys } from '../../store/redis-keys.js';
import { MAX_BATCH, normalizeEvent, type NormalizedEvent } from './session-event.schema.js';
import type { SessionIngestService } from './session-ingest.service.js';
import { SessionKeys } from './session-keys.js';

/** One bind recorded by slapd's accesslog overlay (objectClass auditBind). */
export interface AccesslogBind {
  /** reqStart as stored (GeneralizedTime with a unique fraction); also names the entry. */
  reqStart: string;
  bindDn: string;
  /** LDAP result code: 0 success, 49 invalid credentials (also ppolicy-locked accounts). */
  result: number;
  method?: string;
  /** reqSession: the server's connection number. */
  connection?: string;
}

/** Reads bind records with reqStart at or after `since` (GeneralizedTime), all of them when absent. */
export type AccesslogReader = (since: string | undefined) => Promise<AccesslogBind[]>;

/** An AccesslogReader over the service's own LDAP connection (paged, one level under the accesslog suffix). */
export function ldapAccesslogReader(connection: LdapConnection, base = 'cn=accesslog'): AccesslogReader {
  return async (since) => {
    const binds = eq('objectClass', 'auditBind');
    const filter = since ? and(binds, new GreaterThanEqualsFilter({ attribute: 'reqStart', value: since })) : binds;
    const out: AccesslogBind[] = [];
    const search = { scope: 'one' as const, filter, attributes: ['reqStart', 'reqDN', 'reqResult', 'reqMethod', 'reqSession'] };
    for await (const page of connection.searchPaged(base, search, 500, 'read the accesslog')) {
      for (const e of page) {
        const reqStart = attrValue(e, 'reqStart');
        const bindDn = attrValue(e, 'reqDN');
        if (!reqStart || bindDn === undefined) continue;
        const method = attrValue(e, 'reqMethod');
        const conn = attrValue(e, 'reqSession');
        out.push({ reqStart, bindDn, result: Number(attrValue(e, 'reqResult') ?? 0), ...(method ? { method } : {}), ...(conn ? { connection: conn } : {}) });
      }
    }
    return out;
  };
}

/**
 * Imports binds of vendor accounts (DNs under LDAP_VENDOR_OU), successful and
 * failed, from the OpenLDAP accesslog as session events (DESIGN.md, Session
 * logs, source 3). A cursor on reqStart is kept in Redis. Entries are written
 * when an operation completes, so one that started earlier can appear after a
 * later one has been read: each run reads again from `overlapMs` before the
 * newest reqStart seen, and the event ids make the overlap harmless.
 */
export class AccesslogImporter {
  private readonly skeys: SessionKeys;
  private readonly vendorSuffix: string;

  constructor(
    private readonly deps: {
      read: AccesslogReader;
      redis: Redis;
      keys: RedisKeys;
      ingest: SessionIngestService;
      vendorOu: string;
      /** The source name of the events, e.g. `ldap:dir1.school.local`. */
      source: string;
      logger: Logger;
      overlapMs?: number;
    },
  ) {
    this.skeys = new SessionKeys(deps.keys);
    this.vendorSuffix = `,${normalizeDn(deps.vendorOu)}`;
  }

  /** One import run (the `accesslog-import` job). */
  async run(): Promise<{ read: number; imported: number; cursor: string | undefined }> {
    const { redis, read, ingest, logger } = this.deps;
    const cursor = (await redis.get(this.skeys.accesslogCursor())) ?? undefined;
    const binds = await read(cursor);
    const events: NormalizedEvent[] = [];
    let newest = cursor ? fromGeneralizedTime(cursor)?.getTime() ?? 0 : 0;
    for (const b of binds) {
      const at = fromGeneralizedTime(b.reqStart);
      if (!at) continue;
      newest = Math.max(newest, at.getTime());
      const event = this.toEvent(b, at);
      if (event) events.push(event);
    }
    events.sort((a, b) => a.atMs - b.atMs);
    for (let i = 0; i < events.length; i += MAX_BATCH) await ingest.ingest(events.slice(i, i + MAX_BATCH), { origin: 'accesslog', actor: 'accesslog-import' });
    let next = cursor;
    if (newest > 0) {
      const candidate = toGeneralizedTime(new Date(newest - (this.deps.overlapMs ?? 60_000)));
      if (!cursor || candidate > cursor) next = candidate;
    }
    if (next && next !== cursor) await redis.set(this.skeys.accesslogCursor(), next);
    if (events.length) logger.info('accesslog binds imported', { read: binds.length, imported: events.length, cursor: next });
    return { read: binds.length, imported: events.length, cursor: next };
  }

  private toEvent(b: AccesslogBind, at: Date): NormalizedEvent | undefined {
    const dn = normalizeDn(b.bindDn);
    if (!dn.endsWith(this.vendorSuffix)) return undefined;
    const account = firstRdnValue(b.bindDn);
    if (!account) return undefined;
    const outcome = b.result === 0 ? 'ok' : `failed (result ${b.result})`;
    return normalizeEvent(
      {
        source: this.deps.source,
        account,
        type: b.result === 0 ? 'login' : 'failed_login',
        at: at.toISOString(),
        // One pseudo session per account: binds within the idle timeout group together.
        sourceSessionId: 'ldap-binds',
        // reqStart's fraction makes binds within the same second distinct events.
        detail: `LDAP bind ${b.method ?? ''} ${outcome}${b.connection ? ` conn=${b.connection}` : ''} reqStart=${b.reqStart}`.replace(/\s+/g, ' '),
      },
      'accesslog',
    );
  }
}

/** Upserts the repeating `accesslog-import` job (every process may call this; BullMQ keeps one schedule). */
export async function scheduleAccesslogImport(maintenance: Queue, everyMs = 30_000): Promise<void> {
  await maintenance.upsertJobScheduler('accesslog-import', { every: everyMs }, { name: 'accesslog-import', data: {}, opts: JOBS['accesslog-import'].options });
}
