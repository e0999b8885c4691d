import type { RedisKeys } from '../store/redis-keys.js';

/**
 * Every Redis key of the session logs, under RedisKeys' `ses` and `incident`
 * roots. Layout (DESIGN.md, Session logs; docs/sessions.md):
 * - `ses:rec:<id>` session record (JSON); `ses:ev:<id>` its events when they
 *   are kept in this Redis (no ARCHIVE_DIR, no SESSION_REDIS_URL): a list with
 *   one element per batch that added to the session, a JSON array of those
 *   events in time order; otherwise `ses:ref:<id>`, one reference per such
 *   chunk to where its body is (event-bodies.ts).
 * - `ses:batch:<digest>` batches already stored, and `ses:mark:<account>` per
 *   source the newest event time with the ids just below it, expiring
 *   (session-dedupe.ts): retries are recognised without one entry per event.
 * - `ses:archive-due` reviewed sessions by last event time (retention
 *   archival, session-archiver.service.ts).
 * - `ses:live:<account>` hash of the account's recent sessions (routing of new
 *   events, concurrency checks); `ses:fails:<account>` recent failed logins.
 * - `ses:idx:*` listing indexes scored by list position plus a boost when
 *   flagged, so "flagged first, newest first" is one reverse range.
 * - `ses:due` unreviewed sessions by review due time.
 */
export class SessionKeys {
  constructor(private readonly keys: RedisKeys) {}
  record = (id: string) => this.keys.sessions('rec', id);
  events = (id: string) => this.keys.sessions('ev', id);
  /** References to the event chunks of a session kept outside this Redis (file or SESSION_REDIS_URL). */
  refs = (id: string) => this.keys.sessions('ref', id);
  batch = (digest: string) => this.keys.sessions('batch', digest);
  mark = (accountKey: string) => this.keys.sessions('mark', accountKey);
  /** Reviewed sessions not yet archived, scored by their last event's time. */
  archiveDue = () => this.keys.sessions('archive-due');
  /** Set once archiveDue holds the sessions reviewed before it existed. */
  archiveDueBuilt = () => this.keys.sessions('archive-due-built');
  live = (accountKey: string) => this.keys.sessions('live', accountKey);
  fails = (accountKey: string) => this.keys.sessions('fails', accountKey);
  all = () => this.keys.sessions('idx', 'all');
  unreviewed = () => this.keys.sessions('idx', 'unreviewed');
  reviewed = () => this.keys.sessions('idx', 'reviewed');
  byRequest = (requestId: string) => this.keys.sessions('idx', 'request', requestId);
  byAccount = (accountKey: string) => this.keys.sessions('idx', 'account', accountKey);
  /** Unreviewed sessions of a request: empty means the request may close. */
  openOfRequest = (requestId: string) => this.keys.sessions('idx', 'request-open', requestId);
  due = () => this.keys.sessions('due');
  sequence = () => this.keys.sessions('seq');
  accesslogCursor = () => this.keys.sessions('accesslog-cursor');
  incident = (id: string) => this.keys.incidents('rec', id);
  incidentsAll = () => this.keys.incidents('idx', 'all');
  incidentsByStatus = (status: string) => this.keys.incidents('idx', 'status', status);
  incidentSequence = () => this.keys.incidents('seq');
}
