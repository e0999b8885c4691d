import type { Redis } from 'ioredis';
import type { RedisKeys } from '../store/redis-keys.js';
import type { AuditEvent } from './audit-event.js';
import { csvHeader, eventCsvRow } from './audit-csv.js';
import { readRange, readRangeDesc } from './audit-reader.js';
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
  outcome?: AuditEvent['outcome'];
}

/** The filter as the audit event records it: dates as the ISO strings they were given as. */
export function recordedFilter(filter: AuditFilter): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(filter) as [string, Date | string | undefined][]) if (v !== undefined) out[k] = v instanceof Date ? v.toISOString() : v;
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
    like(e.subject, f.subject)
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

/**
 * Reads the trail for auditors: filtered pages, newest first, and streamed
 * exports, oldest first. The list is indexed by position (seq − 1), so a
 * cursor or a time bound jumps straight to its place instead of scanning
 * from the end.
 */
export class AuditQueryStore {
  private readonly skewMs: number;
  private readonly scanBudget: number;

  constructor(
    private readonly redis: Redis,
    private readonly keys: RedisKeys,
    options: AuditQueryStoreOptions = {},
  ) {
    this.skewMs = options.skewMs ?? 5 * 60_000;
    this.scanBudget = options.scanBudget ?? 50_000;
  }

  /**
   * One page, newest first. A page with a rare filter may come back short
   * (even empty) with a cursor once it has scanned `scanBudget` events:
   * that bounds the work of each call; follow the cursor to continue.
   */
  async page(filter: AuditFilter, cursor: number | undefined, limit: number): Promise<AuditPage> {
    const key = this.keys.auditEvents();
    const length = await this.redis.llen(key);
    let start = cursor === undefined ? length - 1 : Math.min(cursor - 2, length - 1);
    if (filter.until) start = Math.min(start, (await this.firstIndexFrom(filter.until.getTime() + this.skewMs + 1, length)) - 1);
    const floor = filter.since ? filter.since.getTime() - this.skewMs : -Infinity;
    const items: AuditEvent[] = [];
    let scanned = 0;
    for await (const raw of readRangeDesc(this.redis, key, start)) {
      const e = parseEvent(raw);
      if (typeof e === 'string') continue;
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
    const key = this.keys.auditEvents();
    const length = await this.redis.llen(key);
    const start = filter.since ? await this.firstIndexFrom(filter.since.getTime() - this.skewMs, length) : 0;
    const ceiling = filter.until ? filter.until.getTime() + this.skewMs : Infinity;
    for await (const raw of readRange(this.redis, key, start, length - 1)) {
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

  /** Binary search for the first index whose `at` is at or after `time`, taking `at` as ordered. */
  private async firstIndexFrom(time: number, length: number): Promise<number> {
    let lo = 0;
    let hi = length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const raw = await this.redis.lindex(this.keys.auditEvents(), mid);
      const e = raw === null ? 'missing' : parseEvent(raw);
      const t = typeof e === 'string' ? -Infinity : Date.parse(e.at);
      if (t >= time) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }
}
