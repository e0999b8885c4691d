import type { Redis } from 'ioredis';
import { AppError } from '../../errors.js';
import type { RedisKeys } from '../../store/redis-keys.js';
import { CHUNK } from '../audit-reader.js';
import type { ChainHead } from '../chain-checker.js';
import type { SegmentFiles } from './segment-files.js';
import { parseSeal, type Seal } from './segment-seal.js';

/** An archived event was asked for by a process that cannot read the archive: the API answers 503, naming what is missing. */
export class ArchiveUnavailable extends AppError {
  readonly status = 503;
  readonly code = 'archive_unavailable';
  constructor(seq: number, seal: Seal | undefined) {
    super(
      seal
        ? `seq ${seq} was archived in segment ${seal.segment} (${seal.file}); this process has no ARCHIVE_DIR to read it from`
        : `seq ${seq} was archived but no seal covers it: the seals in Redis are damaged; run leasehold audit verify`,
    );
  }
}

/** Head, sealed prefix and seals read together. */
export interface TrailSnapshot {
  head: ChainHead | null;
  /** Events sealed and dropped from Redis: list index i holds seq base + i + 1. */
  base: number;
  /** Events in the Redis list. */
  length: number;
  /** The seals as of this snapshot (the last one ends at `base`), oldest first. */
  seals: (Seal | string)[];
}

// The live events of a seq range with the base they were read against, in one step, so that a
// segment sealed meanwhile can never shift what an index means. Returns {base, line…}.
const READ_LIVE = `
local raw = redis.call('GET', KEYS[2]) or '0'
local base = tonumber(raw)
local from = math.max(tonumber(ARGV[1]), base + 1)
local to = tonumber(ARGV[2])
local out = {raw}
if to >= from then
  local lines = redis.call('LRANGE', KEYS[1], from - base - 1, to - base - 1)
  for i = 1, #lines do out[i + 1] = lines[i] end
end
return out`;

/**
 * The audit chain addressed by seq, wherever each event now lives: sealed
 * segments in ARCHIVE_DIR up to `base`, the Redis list after it. Every reader
 * of the trail (verification, queries, exports, the mirror) goes through it,
 * so sealing a segment changes where events are read from, never what.
 */
export class AuditTrail {
  private raw: string[] = [];
  private seals: (Seal | string)[] = [];
  /**
   * Counts the times the seals had to be read again in full because the last
   * one read before had changed: seals checked under an earlier generation
   * must be checked again (SealChainCheck).
   */
  generation = 0;

  constructor(
    private readonly redis: Redis,
    private readonly keys: RedisKeys,
    /** The archive; without it, reading a sealed event throws ArchiveUnavailable. */
    readonly archive?: SegmentFiles,
  ) {}

  /** Head, base and list length in one step, and the seals that go with them. */
  async snapshot(): Promise<TrailSnapshot> {
    const result = await this.redis
      .multi()
      .get(this.keys.auditHead())
      .get(this.keys.auditBase())
      .llen(this.keys.auditEvents())
      .llen(this.keys.auditSeals())
      .exec();
    if (!result) throw new Error('audit snapshot was aborted');
    for (const [err] of result) if (err) throw err;
    const [rawHead, rawBase, length, sealCount] = result.map(([, v]) => v) as [string | null, string | null, number, number];
    // Seals are only ever appended, with the base that goes with them: those read now include the snapshot's.
    const seals = (await this.sealList()).slice(0, sealCount);
    return { head: rawHead ? (JSON.parse(rawHead) as ChainHead) : null, base: Number(rawBase ?? 0), length, seals };
  }

  /**
   * The seals, oldest first. Only those added since the last call are read,
   * together with the last one read before: if that one changed (or the list
   * shrank), all are read again and `generation` moves on. A seal chain
   * rewritten consistently behind it would have had to change it too.
   */
  async sealList(): Promise<(Seal | string)[]> {
    const known = this.raw.length;
    const more = await this.redis.lrange(this.keys.auditSeals(), Math.max(0, known - 1), -1);
    if (known > 0 && more[0] !== this.raw[known - 1]) {
      this.raw = await this.redis.lrange(this.keys.auditSeals(), 0, -1);
      this.seals = this.raw.map(parseSeal);
      this.generation++;
      return this.seals;
    }
    const fresh = known > 0 ? more.slice(1) : more;
    if (fresh.length) {
      this.raw = this.raw.concat(fresh);
      this.seals = this.seals.concat(fresh.map(parseSeal));
    }
    return this.seals;
  }

  /** Drops the seals read so far: the next read takes them all from Redis again (a new generation). */
  forgetSeals(): void {
    this.raw = [];
    this.seals = [];
    this.generation++;
  }

  /** Stored lines from seq `from` to `to` inclusive, oldest first, in chunks; stops early where the trail ends. */
  async *lines(from: number, to: number, chunk = CHUNK): AsyncGenerator<string> {
    for (let start = Math.max(1, from); start <= to; start += chunk) {
      const end = Math.min(start + chunk - 1, to);
      const part = await this.range(start, end);
      yield* part;
      if (part.length < end - start + 1) return;
    }
  }

  /** The same, newest first, from seq `from` down to `downTo`. */
  async *linesDesc(from: number, downTo = 1, chunk = CHUNK): AsyncGenerator<string> {
    for (let end = from; end >= Math.max(1, downTo); end -= chunk) {
      const part = await this.range(Math.max(downTo, end - chunk + 1), end);
      for (let i = part.length - 1; i >= 0; i--) yield part[i]!;
    }
  }

  /** One stored line, or null where the trail has none. */
  async line(seq: number): Promise<string | null> {
    const [raw] = await this.range(seq, seq);
    return raw ?? null;
  }

  /** The seal whose segment holds `seq`, if any. */
  async sealOf(seq: number): Promise<Seal | undefined> {
    const seals = await this.sealList();
    let lo = 0;
    let hi = seals.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const s = seals[mid]!;
      if (typeof s === 'string') return undefined;
      if (seq < s.fromSeq) hi = mid - 1;
      else if (seq > s.toSeq) lo = mid + 1;
      else return s;
    }
    return undefined;
  }

  /** Lines from..to: the archived part from the segments, the rest from Redis; fewer where the trail ends. */
  async range(from: number, to: number): Promise<string[]> {
    const [rawBase, ...live] = (await this.redis.eval(READ_LIVE, 2, this.keys.auditEvents(), this.keys.auditBase(), String(from), String(to))) as string[];
    const base = Number(rawBase);
    if (from > base) return live;
    const archived: string[] = [];
    for (let seq = from; seq <= Math.min(to, base);) {
      const seal = await this.sealOf(seq);
      if (!seal || !this.archive) throw new ArchiveUnavailable(seq, seal);
      const last = Math.min(to, base, seal.toSeq);
      archived.push(...(await this.archive.lines(seal, seq - seal.fromSeq, last - seal.fromSeq)));
      seq = last + 1;
    }
    return archived.concat(live);
  }
}
