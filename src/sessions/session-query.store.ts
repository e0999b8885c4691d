import type { Redis } from 'ioredis';
import type { Page } from '../domain/ports/domain-store.port.js';
import type { RedisKeys } from '../store/redis-keys.js';
import type { EventBodies } from './event-bodies.js';
import { SessionArchiveUnavailable, type SessionArchive } from './session-archive.js';
import { SessionKeys } from './session-keys.js';
import { expandEvent, type CompactEvent, type Incident, type IncidentStatus, type SessionRecord, type StoredEvent } from './session-record.js';
import { encodeCursor, FLAG_BOOST, scoredPage, SORT_LIMIT, type SessionFilter, type SessionQueries } from './session-store.port.js';

/** List elements (one per session per batch) read at a time when paging a long session. */
const CHUNK_PAGE = 100;

function results(replies: [Error | null, unknown][] | null): unknown[] {
  return (replies ?? []).map(([err, value]) => {
    if (err) throw err;
    return value;
  });
}

function parseAll<T>(raws: (string | null)[]): T[] {
  return raws.flatMap((raw) => (raw === null ? [] : [JSON.parse(raw) as T]));
}

/** Where a session's event bodies may be besides `ses:ev`: another store (with references in `ses:ref`), or an archive file. */
export interface EventSources {
  bodies?: EventBodies;
  archive?: SessionArchive;
}

/**
 * The read side of the session logs and incidents over Redis: lists, one
 * record, events, overdue reviews (RedisSessionStore's queries). A session's
 * events are the chunks of `ses:ev` followed by those `ses:ref` points to
 * (both may exist where ARCHIVE_DIR or SESSION_REDIS_URL was set later), or
 * the archive file once retention archived it (then nothing of it is left in
 * Redis: it is found by id through its shard's manifest, and in lists by
 * request or account through theirs).
 */
export class SessionQueryStore implements SessionQueries {
  readonly skeys: SessionKeys;

  constructor(
    private readonly redis: Redis,
    keys: RedisKeys,
    private readonly sources: EventSources = {},
  ) {
    this.skeys = new SessionKeys(keys);
  }

  /** A session in Redis, or else one retention archived (its shard's manifest names it; the file's hash is checked). */
  async getSession(id: string): Promise<SessionRecord | null> {
    const raw = await this.redis.get(this.skeys.record(id));
    if (raw !== null) return JSON.parse(raw) as SessionRecord;
    const line = await this.sources.archive?.lineOf(id);
    return line ? this.sources.archive!.recordOf(line) : null;
  }

  /** As the port says; a session longer than SORT_LIMIT events is read a few list elements at a time. */
  async getEvents(session: SessionRecord, offset: number, limit: number): Promise<StoredEvent[]> {
    if (session.archive) {
      if (!this.sources.archive)
        throw new SessionArchiveUnavailable(`session ${session.id} was archived to ${session.archive.file}; this process has no ARCHIVE_DIR to read it from`);
      return (await this.sources.archive.events(session)).slice(offset, offset + limit);
    }
    const expand = (chunk: string) => (JSON.parse(chunk) as CompactEvent[]).map((e) => expandEvent(e, session));
    if (session.eventCount <= SORT_LIMIT) {
      const all = (await this.chunks(session.id, 0, -1)).flatMap(expand);
      return all.sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0)).slice(offset, offset + limit);
    }
    const out: StoredEvent[] = [];
    let skip = offset;
    for (let from = 0; out.length < limit; from += CHUNK_PAGE) {
      const chunks = await this.chunks(session.id, from, from + CHUNK_PAGE - 1);
      if (chunks.length === 0) break;
      for (const chunk of chunks) {
        const events = expand(chunk);
        const take = events.slice(Math.min(skip, events.length));
        skip -= events.length - take.length;
        out.push(...take.slice(0, limit - out.length));
        if (out.length >= limit) break;
      }
    }
    return out;
  }

  /**
   * Chunks `from`..`to` (inclusive, -1 = last) of a session's events in
   * arrival order: those in `ses:ev`, then those `ses:ref` points to.
   */
  async chunks(sessionId: string, from: number, to: number): Promise<string[]> {
    const { bodies } = this.sources;
    const evKey = this.skeys.events(sessionId);
    const refKey = this.skeys.refs(sessionId);
    if (!bodies) return this.redis.lrange(evKey, from, to);
    if (from === 0 && to === -1) {
      const [inline, refs] = results(await this.redis.pipeline().lrange(evKey, 0, -1).lrange(refKey, 0, -1).exec()) as [string[], string[]];
      return refs.length ? [...inline, ...(await bodies.get(sessionId, refs))] : inline;
    }
    const [own, inlineLength] = results(await this.redis.pipeline().lrange(evKey, from, to).llen(evKey).exec()) as [string[], number];
    if (to >= 0 && own.length === to - from + 1) return own;
    // The rest of the range is in the references, which follow the inline chunks.
    const refs = await this.redis.lrange(refKey, Math.max(0, from - inlineLength), to < 0 ? -1 : to - inlineLength);
    return refs.length ? [...own, ...(await bodies.get(sessionId, refs))] : own;
  }

  /**
   * Sessions, flagged first, newest first within each group; by request or
   * account, the archived ones follow from the archive's manifests
   * (SessionArchive.list).
   */
  listSessions(filter: SessionFilter, cursor: number | undefined, limit: number): Promise<Page<SessionRecord>> {
    const { archive } = this.sources;
    if (!archive) return this.liveSessions(filter, cursor, limit);
    return archive.list(
      filter,
      cursor,
      limit,
      (c) => this.liveSessions(filter, c, limit),
      (ids) => this.inRedis(ids),
    );
  }

  /** Which of these sessions have a record in Redis. */
  async inRedis(ids: string[]): Promise<boolean[]> {
    if (ids.length === 0) return [];
    const p = this.redis.pipeline();
    for (const id of ids) p.exists(this.skeys.record(id));
    return (results(await p.exec()) as number[]).map((n) => n === 1);
  }

  /**
   * Sessions in Redis, flagged first, newest first within each group. Uses
   * the most selective index and filters the rest while scanning; the cursor
   * is the index score of the last item returned.
   */
  private async liveSessions(filter: SessionFilter, cursor: number | undefined, limit: number): Promise<Page<SessionRecord>> {
    const { skeys } = this;
    const account = filter.account?.toLowerCase();
    const index = filter.requestId
      ? skeys.byRequest(filter.requestId)
      : account
        ? skeys.byAccount(account)
        : filter.reviewed === false
          ? skeys.unreviewed()
          : filter.reviewed === true
            ? skeys.reviewed()
            : skeys.all();
    let max = cursor === undefined ? Infinity : cursor;
    if (filter.flagged === false) max = Math.min(max, FLAG_BOOST);
    const min = filter.flagged === true ? String(FLAG_BOOST) : '-inf';
    const items: { item: SessionRecord; score: number }[] = [];
    for (;;) {
      const flat = await this.redis.zrevrangebyscore(index, max === Infinity ? '+inf' : `(${max}`, min, 'WITHSCORES', 'LIMIT', 0, Math.max(limit * 2, 50));
      if (flat.length === 0) break;
      const ids: string[] = [];
      const scores = new Map<string, number>();
      for (let i = 0; i < flat.length; i += 2) {
        ids.push(flat[i]!);
        scores.set(flat[i]!, Number(flat[i + 1]));
      }
      max = scores.get(ids[ids.length - 1]!)!;
      for (const s of parseAll<SessionRecord>(await this.redis.mget(ids.map((id) => skeys.record(id))))) {
        if (filter.reviewed !== undefined && (s.review !== undefined) !== filter.reviewed) continue;
        if (filter.flagged !== undefined && s.flags.length > 0 !== filter.flagged) continue;
        if (filter.requestId && s.requestId !== filter.requestId) continue;
        if (account && s.account.toLowerCase() !== account) continue;
        items.push({ item: s, score: scores.get(s.id)! });
        if (items.length > limit) return scoredPage(items, limit);
      }
    }
    return scoredPage(items, limit);
  }

  /** Unreviewed sessions whose review is due before `nowMs` (ended longer than reviewDueDays ago), oldest first. */
  async overdue(nowMs: number, offset: number, limit: number): Promise<Page<SessionRecord & { reviewDueAt: string }>> {
    const flat = await this.redis.zrangebyscore(this.skeys.due(), '-inf', nowMs, 'WITHSCORES', 'LIMIT', offset, limit + 1);
    const due = new Map<string, number>();
    for (let i = 0; i < flat.length; i += 2) due.set(flat[i]!, Number(flat[i + 1]));
    const ids = [...due.keys()].slice(0, limit);
    const records = ids.length ? parseAll<SessionRecord>(await this.redis.mget(ids.map((id) => this.skeys.record(id)))) : [];
    return {
      items: records.map((s) => ({ ...s, reviewDueAt: new Date(due.get(s.id)!).toISOString() })),
      nextCursor: due.size > limit ? encodeCursor(offset + limit) : null,
    };
  }

  async getIncident(id: string): Promise<Incident | null> {
    const raw = await this.redis.get(this.skeys.incident(id));
    return raw === null ? null : (JSON.parse(raw) as Incident);
  }

  /** Incidents newest first, optionally of one status. */
  async listIncidents(status: IncidentStatus | undefined, cursor: number | undefined, limit: number): Promise<Page<Incident>> {
    const index = status ? this.skeys.incidentsByStatus(status) : this.skeys.incidentsAll();
    const ids = await this.redis.zrevrangebyscore(index, cursor === undefined ? '+inf' : `(${cursor}`, '-inf', 'LIMIT', 0, limit + 1);
    const incidents = ids.length ? parseAll<Incident>(await this.redis.mget(ids.map((id) => this.skeys.incident(id)))) : [];
    return scoredPage(
      incidents.map((i) => ({ item: i, score: i.n })),
      limit,
    );
  }
}
