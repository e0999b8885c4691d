import type { ChainableCommander } from 'ioredis';
import { SEEN_ADD } from './dedupe-scripts.js';
import { FAILED_LOGIN_WINDOW_MS } from './session-flags.js';
import type { GroupingPlan } from './session-grouper.js';
import { DEDUPE_TTL_SECONDS, HOUR_MS, type SessionKeys } from './session-keys.js';
import { isFlagged, type Incident, type SessionRecord } from './session-record.js';
import type { LiveEntry } from './session-router.js';
import { sessionScore, type StoredBatch } from './session-store.port.js';

const LIVE_TTL_SECONDS = 7 * 24 * 3600;
const FAILS_TTL_SECONDS = 24 * 3600;

/**
 * Queues a batch's writes onto the MULTI that commits it with its audit
 * events: the dedupe sets (one Lua call per hour bucket), the records and
 * their indexes, one list element per session of its new events, the live
 * entries and the recent failures.
 */
export function writeBatch(m: ChainableCommander, skeys: SessionKeys, batch: StoredBatch): void {
  const { plan, fresh, accounts, reviewDueMs } = batch;
  const seen = new Map<number, string[]>();
  for (const e of fresh) {
    const b = Math.floor(e.atMs / HOUR_MS);
    const list = seen.get(b);
    if (list) list.push(e.id);
    else seen.set(b, [e.id]);
  }
  for (const [b, ids] of seen) m.eval(SEEN_ADD, 1, skeys.seen(b), ids.join(','), DEDUPE_TTL_SECONDS);

  for (const s of plan.touched.values()) {
    m.set(skeys.record(s.id), JSON.stringify(s));
    if (plan.reindex.has(s.id)) {
      const score = sessionScore(s.n, isFlagged(s));
      m.zadd(skeys.all(), score, s.id).zadd(skeys.byAccount(s.account.toLowerCase()), score, s.id).zadd(skeys.unreviewed(), score, s.id);
      if (s.requestId) m.zadd(skeys.byRequest(s.requestId), score, s.id).zadd(skeys.openOfRequest(s.requestId), score, s.id);
    }
    const events = plan.events.get(s.id);
    if (events?.length) {
      m.zadd(skeys.due(), Date.parse(s.endedAt ?? s.lastAt) + reviewDueMs, s.id);
      // One list element per session per batch (a JSON array of its events, in time order): for Redis a
      // single append instead of one sorted-set insert per event. The query side flattens and sorts.
      m.rpush(skeys.events(s.id), JSON.stringify(events.sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0))));
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

/** Queues a signed-off session; `live` is its live entry as read (marked reviewed when it is still this session's). */
export function writeReviewed(m: ChainableCommander, skeys: SessionKeys, session: SessionRecord, field: string, live: LiveEntry | undefined): void {
  m.set(skeys.record(session.id), JSON.stringify(session));
  m.zrem(skeys.unreviewed(), session.id)
    .zadd(skeys.reviewed(), sessionScore(session.n, isFlagged(session)), session.id)
    .zrem(skeys.due(), session.id);
  if (session.requestId) m.zrem(skeys.openOfRequest(session.requestId), session.id);
  if (live?.id === session.id) m.hset(skeys.live(session.account.toLowerCase()), field, JSON.stringify({ ...live, reviewed: true }));
}

/** Queues an incident and its indexes. */
export function writeIncident(m: ChainableCommander, skeys: SessionKeys, incident: Incident, previous: Incident | null): void {
  m.set(skeys.incident(incident.id), JSON.stringify(incident));
  if (!previous) m.zadd(skeys.incidentsAll(), incident.n, incident.id);
  if (previous && previous.status !== incident.status) m.zrem(skeys.incidentsByStatus(previous.status), incident.id);
  m.zadd(skeys.incidentsByStatus(incident.status), incident.n, incident.id);
}
