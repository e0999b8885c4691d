import type { RedisKeys } from '../store/redis-keys.js';

/**
 * Every Redis key of the session logs, under RedisKeys' `ses` and `incident`
 * roots. Layout (DESIGN.md, Session logs; docs/sessions.md):
 * - `ses:rec:<id>` session record (JSON); `ses:ev:<id>` its events: a list
 *   with one element per batch that added to the session, a JSON array of
 *   those events in time order.
 * - `ses:seen:<hour>` ids of events already stored, bucketed by the event's
 *   hour and expiring: retried batches are recognised without one key per event.
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
  seen = (hourBucket: number) => this.keys.sessions('seen', String(hourBucket));
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

export const HOUR_MS = 3_600_000;
/** How long a stored event id is remembered for deduplication of retried batches. */
export const DEDUPE_TTL_SECONDS = 8 * 24 * 3600;
