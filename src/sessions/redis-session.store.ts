import type { ChainableCommander, Redis } from 'ioredis';
import type { Page } from '../domain/ports/domain-store.port.js';
import type { RedisRecordStore } from '../store/redis-record.store.js';
import type { Transactor } from '../store/transactor.js';
import type { EventBodies } from './event-bodies.js';
import { batchChunks, writeArchived, writeBatch, writeIncident, writeReviewed, type DedupeRead } from './redis-session-writes.js';
import type { SessionArchive } from './session-archive.js';
import { SessionKeys } from './session-keys.js';
import { SessionQueryStore } from './session-query.store.js';
import type { Incident, IncidentStatus, SessionRecord, StoredEvent } from './session-record.js';
import { liveField, type LiveEntry } from './session-router.js';
import { SessionStateReader } from './session-state.reader.js';
import type {
  BatchDecision,
  BatchReader,
  SessionDecision,
  SessionFilter,
  SessionReader,
  SessionRef,
  SessionStore,
  SessionWriter,
} from './session-store.port.js';

/** A write a session decision planned, queued onto the MULTI once the reads it needs are done. */
type Planned = (m: ChainableCommander) => void;

/**
 * The session store port over Redis (keys in session-keys.ts): batches and
 * reviews commit through the Transactor (WATCH on the locked keys and the
 * audit head, one MULTI/EXEC with the writes and the chained events), reads
 * go to the SessionQueryStore. A batch costs what it did before the port: two
 * pipelined reads (SessionStateReader), rarely a third for extra positions,
 * and the commit.
 *
 * With `bodies` (ARCHIVE_DIR or SESSION_REDIS_URL) a batch's events are put
 * there, durably, before the commit, and the commit writes only references to
 * them (`ses:ref`); without, they go into `ses:ev` in the commit itself.
 */
export class RedisSessionStore implements SessionStore {
  private readonly skeys: SessionKeys;
  private readonly state: SessionStateReader;
  private readonly queries: SessionQueryStore;

  /**
   * @param deps.redis the connection for reads outside units of work (the Transactor has its own)
   * @param deps.bodies where event bodies go instead of this Redis
   * @param deps.archive where retention archived sessions are read from
   */
  constructor(private readonly deps: { redis: Redis; records: RedisRecordStore; tx: Transactor; bodies?: EventBodies; archive?: SessionArchive }) {
    const { keys } = deps.records;
    this.skeys = new SessionKeys(keys);
    this.state = new SessionStateReader(keys);
    this.queries = new SessionQueryStore(deps.redis, keys, { bodies: deps.bodies, archive: deps.archive });
  }

  appendEvents<T>(decide: (read: BatchReader) => Promise<BatchDecision<T>>): Promise<T> {
    return this.deps.tx.run([], async (redis) => {
      const dedupe: DedupeRead = { digest: '', marks: new Map() };
      const decision = await decide(this.batchReader(redis, dedupe));
      const { batch } = decision;
      if (!batch) return { events: decision.events, result: decision.result };
      const chunks = batchChunks(batch.plan);
      // Durable before the commit that references them: once the answer is 202 the events are on disk (or in the
      // second Redis). Should the commit fail or run again, these copies are simply never referenced.
      const refs = this.deps.bodies && chunks.size ? await this.putBodies(this.deps.bodies, chunks) : undefined;
      return {
        writes: (m: ChainableCommander) => writeBatch(m, this.skeys, batch, dedupe, chunks, refs),
        events: decision.events,
        result: decision.result,
      };
    });
  }

  private async putBodies(bodies: EventBodies, chunks: Map<string, string>): Promise<Map<string, string>> {
    const list = [...chunks].map(([sessionId, json]) => ({ sessionId, json }));
    const refs = await bodies.put(list);
    return new Map(list.map((c, i) => [c.sessionId, refs[i]!]));
  }

  async archiveDue(beforeMs: number, limit: number): Promise<string[]> {
    await this.backfillArchiveDue();
    return this.deps.redis.zrangebyscore(this.skeys.archiveDue(), '-inf', `(${beforeMs}`, 'LIMIT', 0, limit);
  }

  /** Sessions reviewed before `ses:archive-due` existed join it once (walked from the reviewed index). */
  private async backfillArchiveDue(): Promise<void> {
    const { redis } = this.deps;
    if (await redis.exists(this.skeys.archiveDueBuilt())) return;
    let cursor = '0';
    do {
      const [next, flat] = await redis.zscan(this.skeys.reviewed(), cursor, 'COUNT', 500);
      cursor = next;
      const ids = flat.filter((_, i) => i % 2 === 0);
      if (ids.length === 0) continue;
      const records = await redis.mget(ids.map((id) => this.skeys.record(id)));
      const p = redis.pipeline();
      for (const raw of records) {
        const s = raw ? (JSON.parse(raw) as SessionRecord) : undefined;
        if (s?.review && !s.archive) p.zadd(this.skeys.archiveDue(), Date.parse(s.lastAt), s.id);
      }
      await p.exec();
    } while (cursor !== '0');
    await redis.set(this.skeys.archiveDueBuilt(), '1');
  }

  async run<T>(lock: SessionRef[], decide: (read: SessionReader) => Promise<SessionDecision<T>>): Promise<T> {
    let archived: { id: string; refs: string[] }[] = [];
    const result = await this.deps.tx.run(
      lock.map((r) => this.keyOf(r)),
      async (redis) => {
        const decision = await decide(this.reader(redis));
        const planned: Planned[] = [];
        const reviewed: SessionRecord[] = [];
        const archiving: SessionRecord[] = [];
        decision.writes?.(this.writer(planned, reviewed, archiving));
        archived = [];
        for (const session of archiving) {
          // The references are read now, to drop the bodies they name once the archival committed.
          if (this.deps.bodies) archived.push({ id: session.id, refs: await redis.lrange(this.skeys.refs(session.id), 0, -1) });
          // Its live entry goes only if it is still this session's (a later session may have the same source session id).
          const field = liveField({ source: session.source.toLowerCase(), sid: session.sourceSessionId ?? '', id: session.id });
          const raw = await redis.hget(this.skeys.live(session.account.toLowerCase()), field);
          const own = raw !== null && (JSON.parse(raw) as LiveEntry).id === session.id;
          planned.push((m) => writeArchived(m, this.skeys, session, own ? field : undefined));
        }
        // The live entries of reviewed sessions are read now, on the transaction's connection, to queue their update.
        for (const session of reviewed) {
          const field = liveField({ source: session.source.toLowerCase(), sid: session.sourceSessionId ?? '', id: session.id });
          const raw = await redis.hget(this.skeys.live(session.account.toLowerCase()), field);
          const live = raw ? (JSON.parse(raw) as LiveEntry) : undefined;
          planned.push((m) => writeReviewed(m, this.skeys, session, field, live));
        }
        return { writes: (m: ChainableCommander) => planned.forEach((write) => write(m)), events: decision.events, result: decision.result };
      },
    );
    // The archival stands once committed; bodies left behind if this fails are unreferenced, like a failed batch's.
    for (const { id, refs } of archived) await this.deps.bodies!.drop(id, refs).catch(() => undefined);
    return result;
  }

  async accesslogCursor(): Promise<string | undefined> {
    return (await this.deps.redis.get(this.skeys.accesslogCursor())) ?? undefined;
  }

  async saveAccesslogCursor(cursor: string): Promise<void> {
    await this.deps.redis.set(this.skeys.accesslogCursor(), cursor);
  }

  getSession(id: string): Promise<SessionRecord | null> {
    return this.queries.getSession(id);
  }
  getEvents(session: SessionRecord, offset: number, limit: number): Promise<StoredEvent[]> {
    return this.queries.getEvents(session, offset, limit);
  }
  listSessions(filter: SessionFilter, cursor: number | undefined, limit: number): Promise<Page<SessionRecord>> {
    return this.queries.listSessions(filter, cursor, limit);
  }
  overdue(nowMs: number, offset: number, limit: number): Promise<Page<SessionRecord & { reviewDueAt: string }>> {
    return this.queries.overdue(nowMs, offset, limit);
  }
  getIncident(id: string): Promise<Incident | null> {
    return this.queries.getIncident(id);
  }
  listIncidents(status: IncidentStatus | undefined, cursor: number | undefined, limit: number): Promise<Page<Incident>> {
    return this.queries.listIncidents(status, cursor, limit);
  }

  private batchReader(redis: Redis, dedupe: DedupeRead): BatchReader {
    return {
      routingState: async (events) => {
        const first = await this.state.readFirst(redis, events);
        dedupe.digest = first.digest;
        dedupe.marks = first.marks;
        const owners = new Map(first.accounts.map((a, i) => [a, first.requestIds[i] ?? null]));
        return { fresh: first.fresh, owners, live: first.live, priorFailures: first.priorFailures };
      },
      groupingState: async (owners, needed, creating) => {
        const second = await this.state.readSecond(redis, [...owners.keys()], [...owners.values()], needed, creating);
        return { records: second.records, requests: second.requests, positions: ascendingTo(second.lastPosition, creating) };
      },
      reservePositions: async (count) => (count > 0 ? ascendingTo(await redis.incrby(this.skeys.sequence(), count), count) : []),
    };
  }

  private reader(redis: Redis): SessionReader {
    const { skeys } = this;
    const parse = <T>(raw: string | null): T | null => (raw === null ? null : (JSON.parse(raw) as T));
    return {
      // An archived session is read from the archive (its review is what a reviewer or the archiver asks about).
      session: async (id) => parse<SessionRecord>(await redis.get(skeys.record(id))) ?? (await this.archivedSession(id)),
      incident: async (id) => parse<Incident>(await redis.get(skeys.incident(id))),
      request: (id) => this.deps.records.getRequest(id),
      unreviewedOf: (requestId, limit) => redis.zrange(skeys.openOfRequest(requestId), 0, limit - 1),
      unreviewedCount: (requestId) => redis.zcard(skeys.openOfRequest(requestId)),
      sessionCount: async (requestId) => {
        const listed = new Set(await redis.zrange(skeys.byRequest(requestId), 0, -1));
        const archived = (await this.deps.archive?.manifest({ requestId })) ?? [];
        return listed.size + archived.filter((l) => !listed.has(l.id)).length;
      },
      nextIncidentNumber: () => redis.incr(skeys.incidentSequence()),
    };
  }

  private async archivedSession(id: string): Promise<SessionRecord | null> {
    const line = await this.deps.archive?.lineOf(id);
    return line ? this.deps.archive!.recordOf(line) : null;
  }

  private writer(planned: Planned[], reviewed: SessionRecord[], archiving: SessionRecord[]): SessionWriter {
    return {
      putReviewed: (session) => void reviewed.push(session),
      putArchived: (session) => void archiving.push(session),
      putIncident: (incident, previous) => void planned.push((m) => writeIncident(m, this.skeys, incident, previous)),
      putRequest: (request, previous) => void planned.push((m) => this.deps.records.putRequest(m, request, previous)),
    };
  }

  private keyOf(r: SessionRef): string {
    switch (r.kind) {
      case 'session':
        return this.skeys.record(r.id);
      case 'incident':
        return this.skeys.incident(r.id);
      case 'request':
        return this.deps.records.keys.request(r.id);
      case 'unreviewed-of-request':
        return this.skeys.openOfRequest(r.id);
    }
  }
}

/** The `count` numbers ending at `last`, ascending. */
function ascendingTo(last: number, count: number): number[] {
  const out: number[] = [];
  for (let k = count - 1; k >= 0; k--) out.push(last - k);
  return out;
}
