import { GreaterThanEqualsFilter, NotFilter, type Filter } from 'ldapts';
import type { Logger } from '../logger.js';
import { firstRdnValue, normalizeDn } from '../provisioner/ldap/escape.js';
import type { LdapConnection } from '../provisioner/ldap/ldap-connection.js';
import { attrValue, fromGeneralizedTime } from '../provisioner/ldap/ldap-entry.js';
import { and, eq } from '../provisioner/ldap/ldap-filters.js';
import { MAX_BATCH, normalizeEvent, type NormalizedEvent } from './session-event.schema.js';
import type { SessionIngestService } from './session-ingest.service.js';
import type { SessionStore } from './session-store.port.js';

/** One bind recorded by slapd's accesslog overlay (objectClass auditBind). */
export interface AccesslogBind {
  /** reqStart as stored (GeneralizedTime with a unique fraction); also names the entry. */
  reqStart: string;
  /** The log entry's entryCSN: stamped when slapd wrote the entry, so it grows in write order. */
  entryCsn?: string;
  bindDn: string;
  /** LDAP result code: 0 success, 49 invalid credentials (also ppolicy-locked accounts). */
  result: number;
  method?: string;
  /** reqSession: the server's connection number. */
  connection?: string;
}

/**
 * Where the next read starts, exclusive: an entryCSN (`…Z#000000#000#000000`)
 * normally, or a reqStart where the server does not show entryCSN (and for a
 * cursor written by an earlier version).
 */
export type AccesslogCursor = string;

/** Reads bind records written after `after` (all of them when absent). */
export type AccesslogReader = (after: AccesslogCursor | undefined) => Promise<AccesslogBind[]>;

const isCsn = (cursor: string): boolean => cursor.includes('#');

/** `(attribute > value)`: LDAP filters have only ≥, so ≥ and not =. */
function after(attribute: string, value: string): Filter {
  return and(new GreaterThanEqualsFilter({ attribute, value }), new NotFilter({ filter: eq(attribute, value) }));
}

/** An AccesslogReader over the service's own LDAP connection (paged, one level under the accesslog suffix). */
export function ldapAccesslogReader(connection: LdapConnection, base = 'cn=accesslog'): AccesslogReader {
  return async (cursor) => {
    const binds = eq('objectClass', 'auditBind');
    const filter = cursor ? and(binds, after(isCsn(cursor) ? 'entryCSN' : 'reqStart', cursor)) : binds;
    const out: AccesslogBind[] = [];
    const search = { scope: 'one' as const, filter, attributes: ['reqStart', 'reqDN', 'reqResult', 'reqMethod', 'reqSession', 'entryCSN'] };
    for await (const page of connection.searchPaged(base, search, 500, 'read the accesslog')) {
      for (const e of page) {
        const reqStart = attrValue(e, 'reqStart');
        const bindDn = attrValue(e, 'reqDN');
        if (!reqStart || bindDn === undefined) continue;
        const method = attrValue(e, 'reqMethod');
        const conn = attrValue(e, 'reqSession');
        const csn = attrValue(e, 'entryCSN');
        out.push({
          reqStart,
          bindDn,
          result: Number(attrValue(e, 'reqResult') ?? 0),
          ...(csn ? { entryCsn: csn } : {}),
          ...(method ? { method } : {}),
          ...(conn ? { connection: conn } : {}),
        });
      }
    }
    return out;
  };
}

/**
 * The cursor after `binds`: the greatest entryCSN, or — when an entry shows
 * none — the greatest reqStart. Everything read lies after the old cursor
 * (the server applied it), so the newest entry read is the new one. CSNs of
 * one server sort as strings (fixed-width time, then a counter), and so do
 * reqStarts (all with the same six-digit fraction).
 */
function nextCursor(cursor: AccesslogCursor | undefined, binds: readonly AccesslogBind[]): AccesslogCursor | undefined {
  if (binds.length === 0) return cursor;
  const byCsn = binds.every((b) => b.entryCsn !== undefined);
  return binds.map((b) => (byCsn ? b.entryCsn! : b.reqStart)).reduce((a, b) => (b > a ? b : a));
}

/** What one import run did. */
export interface AccesslogRun {
  /** Bind entries read (all new since the cursor). */
  read: number;
  /** Of them, binds of vendor DNs turned into session events. */
  imported: number;
  /** Of those, events stored now (the rest were stored before). */
  stored: number;
  cursor: AccesslogCursor | undefined;
}

/**
 * Imports binds of vendor accounts (DNs under LDAP_VENDOR_OU), successful and
 * failed, from the OpenLDAP accesslog as session events (DESIGN.md, Session
 * logs, source 3). The cursor in the session store is the newest entryCSN read, and the
 * next read starts strictly after it: an idle directory is read as nothing,
 * not as the last bind again. entryCSN is stamped when slapd writes the log
 * entry (reqStart when the operation began), so a bind that started before
 * one already read but was logged after it is still found. A run that
 * stores nothing is not audited (the ingest's `when-stored`); the event ids
 * keep a repeated run (a crash between ingest and cursor write) harmless.
 */
export class AccesslogImportService {
  private readonly vendorSuffix: string;

  constructor(
    private readonly deps: {
      read: AccesslogReader;
      store: SessionStore;
      ingest: SessionIngestService;
      vendorOu: string;
      /** The source name of the events, e.g. `ldap:dir1.school.local`. */
      source: string;
      logger: Logger;
    },
  ) {
    this.vendorSuffix = `,${normalizeDn(deps.vendorOu)}`;
  }

  /** One import run (the `accesslog-import` job). */
  async run(): Promise<AccesslogRun> {
    const { store, read, ingest, logger } = this.deps;
    const cursor = await store.accesslogCursor();
    const binds = await read(cursor);
    const events: NormalizedEvent[] = [];
    for (const b of binds) {
      const at = fromGeneralizedTime(b.reqStart);
      const event = at && this.toEvent(b, at);
      if (event) events.push(event);
    }
    events.sort((a, b) => a.atMs - b.atMs);
    let stored = 0;
    for (let i = 0; i < events.length; i += MAX_BATCH) {
      const r = await ingest.ingest(events.slice(i, i + MAX_BATCH), { origin: 'accesslog', actor: 'accesslog-import', audit: 'when-stored' });
      stored += r.stored.size;
    }
    const next = nextCursor(cursor, binds);
    if (next && next !== cursor) await store.saveAccesslogCursor(next);
    if (stored) logger.info('accesslog binds imported', { read: binds.length, imported: events.length, stored, cursor: next });
    return { read: binds.length, imported: events.length, stored, cursor: next };
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
