import type { Redis } from 'ioredis';
import type { AccessRequest } from '../domain/types.js';
import type { RedisKeys } from '../store/redis-keys.js';
import type { NormalizedEvent } from './session-event.schema.js';
import { batchDigest, freshEvents, parseMark, type StreamMark } from './session-dedupe.js';
import { FAILED_LOGIN_WINDOW_MS } from './session-flags.js';
import { SessionKeys } from './session-keys.js';
import type { SessionRecord } from './session-record.js';
import type { LiveEntry } from './session-router.js';

type Replies = [Error | null, unknown][];

function results(replies: Replies | null): unknown[] {
  if (!replies) throw new Error('pipeline returned nothing');
  return replies.map(([err, value]) => {
    if (err) throw err;
    return value;
  });
}

function parseAll<T>(raws: unknown): T[] {
  return (raws as (string | null)[]).flatMap((raw) => (raw === null ? [] : [JSON.parse(raw) as T]));
}

/**
 * The reads of one ingest batch, two pipelined round trips on the
 * transaction's connection: first what decides routing (dedupe, owners, live
 * sessions, recent failures), then what routing says is needed (the
 * requests, the records of the sessions touched, positions for new ones).
 */
export class SessionStateReader {
  private readonly skeys: SessionKeys;

  constructor(private readonly keys: RedisKeys) {
    this.skeys = new SessionKeys(keys);
  }

  /**
   * First round trip: which events are new (the batch's digest and the
   * accounts' stream marks, session-dedupe.ts), who owns each account, their
   * live sessions and recent failures.
   */
  async readFirst(redis: Redis, unique: NormalizedEvent[]) {
    const { skeys, keys } = this;
    const digest = batchDigest(unique.map((e) => e.id));
    const accounts = [...new Set(unique.map((e) => e.accountKey))];
    const failRange = new Map<string, [number, number]>();
    for (const e of unique) {
      if (e.type !== 'failed_login') continue;
      const r = failRange.get(e.accountKey);
      failRange.set(e.accountKey, r ? [Math.min(r[0], e.atMs), Math.max(r[1], e.atMs)] : [e.atMs, e.atMs]);
    }

    const p = redis.pipeline();
    p.exists(skeys.batch(digest));
    for (const a of accounts) p.hgetall(skeys.mark(a));
    p.hmget(keys.usernames(), ...accounts);
    for (const a of accounts) p.hgetall(skeys.live(a));
    for (const [a, [from, to]] of failRange) p.zrangebyscore(skeys.fails(a), from - FAILED_LOGIN_WINDOW_MS, to, 'WITHSCORES');
    const r = results(await p.exec());

    let i = 0;
    const batchSeen = (r[i++] as number) === 1;
    const marks = new Map<string, Map<string, StreamMark>>();
    for (const a of accounts) {
      const hash = r[i++] as Record<string, string>;
      const fields = new Map<string, StreamMark>();
      for (const [field, raw] of Object.entries(hash)) fields.set(field, parseMark(raw)!);
      marks.set(a, fields);
    }
    const fresh = freshEvents(unique, marks, batchSeen);
    const requestIds = r[i++] as (string | null)[];
    const live = new Map<string, Map<string, LiveEntry>>();
    for (const a of accounts) {
      const hash = r[i++] as Record<string, string>;
      live.set(a, new Map(Object.entries(hash).map(([field, json]) => [field, JSON.parse(json) as LiveEntry])));
    }
    const priorFailures = new Map<string, number[]>();
    for (const a of failRange.keys()) {
      const flat = r[i++] as string[];
      const times: number[] = [];
      for (let k = 1; k < flat.length; k += 2) times.push(Number(flat[k]));
      priorFailures.set(a, times);
    }
    return { fresh, accounts, requestIds, live, priorFailures, digest, marks };
  }

  /** Second round trip: the requests, the session records the routing needs, and positions for new sessions. */
  async readSecond(redis: Redis, accounts: string[], requestIds: (string | null)[], needed: string[], creating: number) {
    const ownedIds = [...new Set(requestIds.filter((x): x is string => x !== null))];
    const p = redis.pipeline();
    if (ownedIds.length) p.mget(...ownedIds.map((id) => this.keys.request(id)));
    if (needed.length) p.mget(...needed.map((id) => this.skeys.record(id)));
    if (creating) p.incrby(this.skeys.sequence(), creating);
    const r = ownedIds.length || needed.length || creating ? results(await p.exec()) : [];
    const byId = new Map<string, AccessRequest>();
    if (ownedIds.length) for (const req of parseAll<AccessRequest>(r.shift())) byId.set(req.id, req);
    // An archived session has no record here: grouping opens a new session for events its live entry would route to it.
    const records = new Map<string, SessionRecord>();
    if (needed.length) for (const s of parseAll<SessionRecord>(r.shift())) records.set(s.id, s);
    const lastPosition = creating ? (r.shift() as number) : 0;
    const requests = new Map<string, AccessRequest | null>(accounts.map((a, k) => [a, byId.get(requestIds[k] ?? '') ?? null]));
    return { records, requests, lastPosition };
  }
}
