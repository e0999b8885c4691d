import type { ChainableCommander } from 'ioredis';
import { advanceMarks, BATCH_TTL_SECONDS, formatMark, MARK_TTL_SECONDS, type StreamMark } from './session-dedupe.js';
import { FAILED_LOGIN_WINDOW_MS } from './session-flags.js';
import type { GroupingPlan } from './session-grouper.js';
import type { SessionKeys } from './session-keys.js';
import { isFlagged, type Incident, type SessionRecord } from './session-record.js';
import type { LiveEntry } from './session-router.js';
import { sessionScore, type StoredBatch } from './session-store.port.js';

const LIVE_TTL_SECONDS = 7 * 24 * 3600;
const FAILS_TTL_SECONDS = 24 * 3600;

/** What the batch's first read found for deduplication (session-dedupe.ts). */
export interface DedupeRead {
  digest: string;
  marks: Map<string, Map<string, StreamMark>>;
}

/** Per session of the batch: its new events as one chunk, a JSON array in time order. */
export function batchChunks(plan: GroupingPlan): Map<string, string> {
  const out = new Map<string, string>();
  for (const [id, events] of plan.events) if (events.length) out.set(id, JSON.stringify(events.sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0))));
  return out;
}

/**
 * Queues a batch's writes onto the MULTI that commits it with its audit
 * events: its digest and the advanced stream marks (dedupe), the records and
 * their indexes, per session one list element of its new events — the events
 * themselves (`ses:ev`), or with `refs` the reference to where they were put
 * (`ses:ref`) — the live entries and the recent failures.
 */
export function writeBatch(
  m: ChainableCommander,
  skeys: SessionKeys,
  batch: StoredBatch,
  dedupe: DedupeRead,
  chunks: Map<string, string>,
  refs?: Map<string, string>,
): void {
  const { plan, fresh, accounts, reviewDueMs } = batch;
  m.set(skeys.batch(dedupe.digest), '1', 'EX', BATCH_TTL_SECONDS);
  for (const [account, fields] of advanceMarks(fresh, dedupe.marks)) {
    m.hset(skeys.mark(account), ...[...fields].flatMap(([field, mark]) => [field, formatMark(mark)]));
    m.expire(skeys.mark(account), MARK_TTL_SECONDS);
  }

  for (const s of plan.touched.values()) {
    m.set(skeys.record(s.id), JSON.stringify(s));
    if (plan.reindex.has(s.id)) {
      const score = sessionScore(s.n, isFlagged(s));
      m.zadd(skeys.all(), score, s.id).zadd(skeys.byAccount(s.account.toLowerCase()), score, s.id).zadd(skeys.unreviewed(), score, s.id);
      if (s.requestId) m.zadd(skeys.byRequest(s.requestId), score, s.id).zadd(skeys.openOfRequest(s.requestId), score, s.id);
    }
    const chunk = chunks.get(s.id);
    if (chunk !== undefined) {
      m.zadd(skeys.due(), Date.parse(s.endedAt ?? s.lastAt) + reviewDueMs, s.id);
      // One list element per session per batch: for Redis a single append instead of one sorted-set insert per
      // event. The query side flattens and sorts.
      const ref = refs?.get(s.id);
      if (ref !== undefined) m.rpush(skeys.refs(s.id), ref);
      else m.rpush(skeys.events(s.id), chunk);
    }
  }
  for (const a of accounts) {
    const live = liveOf(plan, a);
    if (live.length) m.hset(skeys.live(a), ...live);
    const drop = plan.pruned.get(a);
    if (drop?.length) m.hdel(skeys.live(a), ...drop);
    if (live.length || drop?.length) m.expire(skeys.live(a), LIVE_TTL_SECONDS);
  }
  for (const [a, fails] of plan.failures) {
    const newest = Math.max(...fails.map((f) => f.atMs));
    m.zadd(skeys.fails(a), ...fails.flatMap((f) => [f.atMs, f.id]))
      .zremrangebyscore(skeys.fails(a), '-inf', newest - 2 * FAILED_LOGIN_WINDOW_MS)
      .expire(skeys.fails(a), FAILS_TTL_SECONDS);
  }
}

/** Field/value pairs of the live entries of an account that this batch touched. */
function liveOf(plan: GroupingPlan, account: string): string[] {
  const out: string[] = [];
  for (const [field, entry] of plan.liveState.get(account) ?? []) if (plan.liveDirty.has(entry.id)) out.push(field, JSON.stringify(entry));
  return out;
}

/**
 * Queues a signed-off session; `live` is its live entry as read (marked
 * reviewed when it is still this session's). It becomes due for archival by
 * its last event's time.
 */
export function writeReviewed(m: ChainableCommander, skeys: SessionKeys, session: SessionRecord, field: string, live: LiveEntry | undefined): void {
  m.set(skeys.record(session.id), JSON.stringify(session));
  m.zrem(skeys.unreviewed(), session.id)
    .zadd(skeys.reviewed(), sessionScore(session.n, isFlagged(session)), session.id)
    .zrem(skeys.due(), session.id)
    .zadd(skeys.archiveDue(), Date.parse(session.lastAt), session.id);
  if (session.requestId) m.zrem(skeys.openOfRequest(session.requestId), session.id);
  if (live?.id === session.id) m.hset(skeys.live(session.account.toLowerCase()), field, JSON.stringify({ ...live, reviewed: true }));
}

/**
 * Queues an archived session: nothing of it stays (docs/sessions.md,
 * Retention) — its record, its events or their references, its entries in
 * every listing index, the archival and due indexes, and its live entry
 * (`liveField`, when the entry there is still this session's; a later event
 * with its source session id opens a new session). Its file and the
 * manifest lines were fsynced before this commit.
 */
export function writeArchived(m: ChainableCommander, skeys: SessionKeys, session: SessionRecord, liveField: string | undefined): void {
  const { id } = session;
  const account = session.account.toLowerCase();
  m.del(skeys.record(id), skeys.events(id), skeys.refs(id));
  m.zrem(skeys.archiveDue(), id).zrem(skeys.all(), id).zrem(skeys.reviewed(), id).zrem(skeys.unreviewed(), id).zrem(skeys.due(), id);
  m.zrem(skeys.byAccount(account), id);
  if (session.requestId) m.zrem(skeys.byRequest(session.requestId), id).zrem(skeys.openOfRequest(session.requestId), id);
  if (liveField !== undefined) m.hdel(skeys.live(account), liveField);
}

/** Queues an incident and its indexes. */
export function writeIncident(m: ChainableCommander, skeys: SessionKeys, incident: Incident, previous: Incident | null): void {
  m.set(skeys.incident(incident.id), JSON.stringify(incident));
  if (!previous) m.zadd(skeys.incidentsAll(), incident.n, incident.id);
  if (previous && previous.status !== incident.status) m.zrem(skeys.incidentsByStatus(previous.status), incident.id);
  m.zadd(skeys.incidentsByStatus(incident.status), incident.n, incident.id);
}
