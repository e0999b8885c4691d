import type { Redis } from 'ioredis';
import type { RedisKeys } from '../store/redis-keys.js';
import type { AuditEvent } from './audit-event.js';
import { csvHeader, eventCsvRow } from './audit-csv.js';
import { AuditTrail } from './archive/audit-trail.js';
import type { SegmentFiles, SegmentIndex } from './archive/segment-files.js';
import type { Seal } from './archive/segment-seal.js';
import { CHUNK } from './audit-reader.js';
import { parseEvent } from './chain-checker.js';

/** Which events to return; every given field must match. */
export interface AuditFilter {
  since?: Date;
  until?: Date;
  actor?: string;
  /** Exact, or a prefix ending in `*` (`request.*`). */
  action?: string;
  /** Exact, or a prefix ending in `*` (`request:*`). */
  subject?: string;
  /** Any of these exact subjects (evidence packs: a request, its person, vendor, sessions …). */
  subjects?: readonly string[];
  outcome?: AuditEvent['outcome'];
}

/** The filter as the audit event records it: dates as the ISO strings they were given as. */
export function recordedFilter(filter: AuditFilter): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(filter) as [string, Date | string | readonly string[] | undefined][])
    if (v !== undefined) out[k] = v instanceof Date ? v.toISOString() : typeof v === 'string' ? v : v.join(',');
  return out;
}

export interface AuditPage {
  items: AuditEvent[];
  /** Continue with this cursor; null at the oldest event. */
  nextCursor: string | null;
}

export type ExportFormat = 'jsonl' | 'csv';

export interface AuditQueryStoreOptions {
  /**
   * Events carry the clock of the process that committed them, so `at` is
   * only roughly ordered by seq. Scans stop once they are this far past a
   * time bound, which tolerates that much clock skew between processes.
   */
  skewMs?: number;
  /** Events one page may scan before it returns what it found with a cursor. */
  scanBudget?: number;
}

function like(value: string, pattern: string | undefined): boolean {
  if (pattern === undefined) return true;
  return pattern.endsWith('*') ? value.startsWith(pattern.slice(0, -1)) : value === pattern;
}

/** Whether an event passes a filter. */
function matchesFilter(e: AuditEvent, f: AuditFilter): boolean {
  const t = Date.parse(e.at);
  return (
    (!f.since || t >= f.since.getTime()) &&
    (!f.until || t <= f.until.getTime()) &&
    (!f.outcome || e.outcome === f.outcome) &&
    (f.actor === undefined || e.actor === f.actor) &&
    like(e.action, f.action) &&
    like(e.subject, f.subject) &&
    (f.subjects === undefined || f.subjects.includes(e.subject))
  );
}

/** Opaque cursor naming the seq a page ended at. */
function encodeAuditCursor(seq: number): string {
  return Buffer.from(`a:${seq}`).toString('base64url');
}

/** The seq inside a cursor; undefined for a cursor this API did not make. */
export function decodeAuditCursor(cursor: string): number | undefined {
  const m = /^a:(\d{1,15})$/.exec(Buffer.from(cursor, 'base64url').toString());
  return m ? Number(m[1]) : undefined;
}

/** Positions within a segment that an actor/subject filter can match, newest last; undefined when the filter names neither. */
function indexedPositions(index: SegmentIndex, f: AuditFilter): number[] | undefined {
  const sets: number[][] = [];
  if (f.actor !== undefined) sets.push(Object.hasOwn(index.actors, f.actor) ? index.actors[f.actor]! : []);
  if (f.subject !== undefined) {
    if (f.subject.endsWith('*')) {
      const prefix = f.subject.slice(0, -1);
      sets.push(
        Object.entries(index.subjects)
          .filter(([k]) => k.startsWith(prefix))
          .flatMap(([, v]) => v)
          .sort((a, b) => a - b),
      );
    } else sets.push(Object.hasOwn(index.subjects, f.subject) ? index.subjects[f.subject]! : []);
  }
  if (f.subjects !== undefined)
    sets.push([...new Set(f.subjects)].flatMap((s) => (Object.hasOwn(index.subjects, s) ? index.subjects[s]! : [])).sort((a, b) => a - b));
  if (sets.length === 0) return undefined;
  const [first, ...rest] = sets;
  const others = rest.map((r) => new Set(r));
  return first!.filter((p) => others.every((o) => o.has(p)));
}

/**
 * Reads the trail for auditors: filtered pages, newest first, and streamed
 * exports, oldest first, across sealed segments and the live tail alike
 * (AuditTrail). Cursors and time bounds are seqs found by binary search, so
 * they jump straight to their place; in sealed segments an actor or subject
 * filter reads only the lines the segment's index names, so a search for a
 * rare actor costs the live tail plus one index look-up per segment,
 * whatever the length of the trail.
 */
export class AuditQueryStore {
  private readonly skewMs: number;
  private readonly scanBudget: number;
  private readonly trail: AuditTrail;

  constructor(
    redis: Redis,
    keys: RedisKeys,
    options: AuditQueryStoreOptions = {},
    /** ARCHIVE_DIR's segments; without them sealed events cannot be read. */
    private readonly archive?: SegmentFiles,
  ) {
    this.skewMs = options.skewMs ?? 5 * 60_000;
    this.scanBudget = options.scanBudget ?? 50_000;
    this.trail = new AuditTrail(redis, keys, archive);
  }

  /**
   * One page, newest first. A page with a rare filter may come back short
   * (even empty) with a cursor once it has scanned `scanBudget` events:
   * that bounds the work of each call; follow the cursor to continue.
   */
  async page(filter: AuditFilter, cursor: number | undefined, limit: number): Promise<AuditPage> {
    const { head, base } = await this.trail.snapshot();
    const headSeq = head?.seq ?? 0;
    let start = cursor === undefined ? headSeq : Math.min(cursor - 1, headSeq);
    if (filter.until) start = Math.min(start, (await this.firstSeqFrom(filter.until.getTime() + this.skewMs + 1, headSeq)) - 1);
    const floor = filter.since ? filter.since.getTime() - this.skewMs : -Infinity;
    const items: AuditEvent[] = [];
    let scanned = 0;
    // Newest first: the live tail, then each sealed segment.
    for await (const e of this.newestFirst(start, base, filter)) {
      if (Date.parse(e.at) < floor) break;
      if (matchesFilter(e, filter)) {
        if (items.length === limit) return { items, nextCursor: encodeAuditCursor(items[items.length - 1]!.seq) };
        items.push(e);
      }
      if (++scanned >= this.scanBudget && e.seq > 1) return { items, nextCursor: encodeAuditCursor(e.seq) };
    }
    return { items, nextCursor: null };
  }

  /** Matching events oldest first, with the stored line, up to the head as it was when called. */
  async *events(filter: AuditFilter): AsyncGenerator<{ event: AuditEvent; raw: string }> {
    const { head, base } = await this.trail.snapshot();
    const headSeq = head?.seq ?? 0;
    const start = filter.since ? await this.firstSeqFrom(filter.since.getTime() - this.skewMs, headSeq) : 1;
    const ceiling = filter.until ? filter.until.getTime() + this.skewMs : Infinity;
    for (const seal of await this.sealsFrom(start, base)) {
      if (Date.parse(seal.firstAt) > ceiling) return;
      const positions = this.archive && indexedPositions(await this.archive.index(seal), filter);
      const from = Math.max(start, seal.fromSeq) - seal.fromSeq;
      const lines = positions
        ? this.segmentLines(
            seal,
            positions.filter((p) => p >= from),
          )
        : this.trail.lines(Math.max(start, seal.fromSeq), seal.toSeq);
      for await (const raw of lines) {
        const event = parseEvent(raw);
        if (typeof event === 'string') continue;
        if (Date.parse(event.at) > ceiling) return;
        if (matchesFilter(event, filter)) yield { event, raw };
      }
    }
    for await (const raw of this.trail.lines(Math.max(start, base + 1), headSeq)) {
      const event = parseEvent(raw);
      if (typeof event === 'string') continue;
      if (Date.parse(event.at) > ceiling) return;
      if (matchesFilter(event, filter)) yield { event, raw };
    }
  }

  /**
   * The export as text chunks of about 64 KB. JSONL lines are the stored
   * lines unchanged, so an unfiltered JSONL export verifies with
   * `leasehold audit verify --file`. CSV: see audit-csv.ts.
   */
  async *export(filter: AuditFilter, format: ExportFormat): AsyncGenerator<string> {
    let buffer = format === 'csv' ? csvHeader() : '';
    for await (const { event, raw } of this.events(filter)) {
      buffer += format === 'csv' ? eventCsvRow(event) : `${raw}\n`;
      if (buffer.length >= 65_536) {
        yield buffer;
        buffer = '';
      }
    }
    if (buffer) yield buffer;
  }

  /** Events from seq `start` down: the live tail read in chunks, then the sealed segments (by their index when the filter allows). */
  private async *newestFirst(start: number, base: number, filter: AuditFilter): AsyncGenerator<AuditEvent> {
    if (start > base)
      for await (const raw of this.trail.linesDesc(start, base + 1)) {
        const e = parseEvent(raw);
        if (typeof e !== 'string') yield e;
      }
    const seals = await this.sealsFrom(1, Math.min(start, base));
    const until = filter.until ? filter.until.getTime() + this.skewMs : Infinity;
    for (const seal of seals.reverse()) {
      if (Date.parse(seal.firstAt) > until) continue;
      const top = Math.min(start, seal.toSeq) - seal.fromSeq;
      const positions = this.archive && indexedPositions(await this.archive.index(seal), filter);
      if (positions) {
        for await (const raw of this.segmentLines(seal, positions.filter((p) => p <= top).reverse())) {
          const e = parseEvent(raw);
          if (typeof e !== 'string') yield e;
        }
        // The segment's unmatched events count as read: a page's cursor may then continue below this segment.
        continue;
      }
      for await (const raw of this.trail.linesDesc(seal.fromSeq + top, seal.fromSeq)) {
        const e = parseEvent(raw);
        if (typeof e !== 'string') yield e;
      }
    }
  }

  /** Lines at the given positions of a segment, in the order given. */
  private async *segmentLines(seal: Seal, positions: number[]): AsyncGenerator<string> {
    for (let i = 0; i < positions.length; i += CHUNK) yield* await this.archive!.linesAt(seal, positions.slice(i, i + CHUNK));
  }

  /** The seals of segments holding seqs from `from` up to `to`, oldest first. */
  private async sealsFrom(from: number, to: number): Promise<Seal[]> {
    if (to < from) return [];
    const seals = (await this.trail.sealList()).filter((s): s is Seal => typeof s !== 'string');
    return seals.filter((s) => s.toSeq >= from && s.fromSeq <= to);
  }

  /** Binary search for the first seq whose `at` is at or after `time`, taking `at` as ordered; headSeq + 1 when none. */
  private async firstSeqFrom(time: number, headSeq: number): Promise<number> {
    let lo = 1;
    let hi = headSeq + 1;
    // Sealed segments know their last times: a binary search over the seals first finds the segment (or the tail).
    const seals = (await this.trail.sealList()).filter((s): s is Seal => typeof s !== 'string');
    let first = 0;
    let past = seals.length;
    while (first < past) {
      const mid = (first + past) >>> 1;
      if (Date.parse(seals[mid]!.lastAt) < time) first = mid + 1;
      else past = mid;
    }
    if (first > 0) lo = seals[first - 1]!.toSeq + 1;
    if (first < seals.length) hi = Math.min(hi, seals[first]!.toSeq + 1);
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const raw = await this.trail.line(mid);
      const e = raw === null ? 'missing' : parseEvent(raw);
      const t = typeof e === 'string' ? -Infinity : Date.parse(e.at);
      if (t >= time) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }
}
