import { hash } from 'node:crypto';
import type { NormalizedEvent } from './session-event.schema.js';

/**
 * Deduplication of session events without remembering every event id
 * (docs/sessions.md, "Retries and duplicates"). Two things are kept, neither
 * of which grows with the number of events stored:
 *
 * - a **batch digest** (`ses:batch:<digest>`, one key per batch, expiring after
 *   BATCH_TTL_SECONDS): a batch whose set of distinct event ids was seen before
 *   is a retry, and all its events are duplicates;
 * - a **stream mark** per account and source (`ses:mark:<account>`, one hash
 *   field per source): the time of the newest event stored (the high-water
 *   mark) and the ids of the events stored within WINDOW_MS below it (at most
 *   WINDOW_IDS of them). An event above the mark is new; one within the window
 *   is a duplicate exactly when its id is listed; one older than the window is
 *   a late arrival and stored, unless its whole batch is a retry.
 *
 * The functions here are pure; both session stores use them.
 */

/** How long a batch digest is remembered: retries of a lost answer come within minutes (a shipper's queue replays within hours). */
export const BATCH_TTL_SECONDS = 24 * 3600;
/** How long a stream mark outlives the stream's last batch (as the per-event sets of earlier versions lived). */
export const MARK_TTL_SECONDS = 8 * 24 * 3600;
/**
 * Event time below a stream's newest event within which ids are kept:
 * overlapping retries of events this recent are caught. A vendor's stream
 * (one account on one source) rarely has more than a few hundred events in
 * a quarter of an hour.
 */
export const WINDOW_MS = 15 * 60_000;
/** Most ids one stream mark keeps (about 26 bytes each): a flood narrows the window rather than growing the mark. */
export const WINDOW_IDS = 1000;

/** A stream's mark: ids within [floorMs, hwmMs] are all listed (with their event times). */
export interface StreamMark {
  hwmMs: number;
  /** Lowest event time the ids cover completely (hwmMs − WINDOW_MS unless the id cap cut it higher). */
  floorMs: number;
  ids: Map<string, number>;
}

/** The digest of a batch: of its distinct event ids, whatever their order. */
export function batchDigest(ids: Iterable<string>): string {
  return hash('sha256', [...new Set(ids)].sort().join(','), 'base64url').slice(0, 22);
}

/** Hash field of an event's stream in `ses:mark:<account>`. */
export function streamField(e: Pick<NormalizedEvent, 'sourceKey'>): string {
  return e.sourceKey;
}

/** `hwm floor id:dt id:dt …` (dt = hwm − event time, ms); event ids are base64url, so neither space nor colon occurs in them. */
export function formatMark(mark: StreamMark): string {
  const parts = [String(mark.hwmMs), String(mark.floorMs)];
  for (const [id, atMs] of mark.ids) parts.push(`${id}:${mark.hwmMs - atMs}`);
  return parts.join(' ');
}

export function parseMark(raw: string | null | undefined): StreamMark | undefined {
  if (!raw) return undefined;
  const [hwm, floor, ...rest] = raw.split(' ');
  const hwmMs = Number(hwm);
  const ids = new Map<string, number>();
  for (const part of rest) {
    const colon = part.lastIndexOf(':');
    ids.set(part.slice(0, colon), hwmMs - Number(part.slice(colon + 1)));
  }
  return { hwmMs, floorMs: Number(floor), ids };
}

/** Whether a stored event equal to `e` may exist, as far as the mark of its stream can tell: 'new', 'duplicate', or 'late' (below the window). */
export function classify(e: Pick<NormalizedEvent, 'id' | 'atMs'>, mark: StreamMark | undefined): 'new' | 'duplicate' | 'late' {
  if (!mark || e.atMs > mark.hwmMs) return 'new';
  if (e.atMs >= mark.floorMs) return mark.ids.has(e.id) ? 'duplicate' : 'new';
  return 'late';
}

/**
 * The events of a batch not stored before. `marks` per account key, per
 * stream field; `batchSeen` whether the batch's digest is known.
 */
export function freshEvents(unique: NormalizedEvent[], marks: Map<string, Map<string, StreamMark>>, batchSeen: boolean): NormalizedEvent[] {
  if (batchSeen) return [];
  return unique.filter((e) => classify(e, marks.get(e.accountKey)?.get(streamField(e))) !== 'duplicate');
}

/**
 * The marks after storing `fresh`: per account key, the stream fields that
 * changed and their new marks. `marks` is left as it was.
 */
export function advanceMarks(fresh: NormalizedEvent[], marks: Map<string, Map<string, StreamMark>>): Map<string, Map<string, StreamMark>> {
  const out = new Map<string, Map<string, StreamMark>>();
  for (const e of fresh) {
    const field = streamField(e);
    let fields = out.get(e.accountKey);
    if (!fields) out.set(e.accountKey, (fields = new Map<string, StreamMark>()));
    let mark = fields.get(field);
    if (!mark) {
      const before = marks.get(e.accountKey)?.get(field);
      mark = before
        ? { hwmMs: before.hwmMs, floorMs: before.floorMs, ids: new Map(before.ids) }
        : { hwmMs: e.atMs, floorMs: e.atMs - WINDOW_MS, ids: new Map() };
      fields.set(field, mark);
    }
    if (e.atMs > mark.hwmMs) mark.hwmMs = e.atMs;
    if (e.atMs >= mark.hwmMs - WINDOW_MS) mark.ids.set(e.id, e.atMs);
  }
  for (const fields of out.values()) for (const mark of fields.values()) trim(mark);
  return out;
}

/** Drops ids below the window, then the oldest beyond WINDOW_IDS; the floor rises past every time it no longer covers completely. */
function trim(mark: StreamMark): void {
  let floor = Math.max(mark.floorMs, mark.hwmMs - WINDOW_MS);
  for (const [id, atMs] of mark.ids) if (atMs < floor) mark.ids.delete(id);
  if (mark.ids.size > WINDOW_IDS) {
    const byTime = [...mark.ids].sort((a, b) => b[1] - a[1]);
    const kept = byTime.slice(0, WINDOW_IDS);
    const newestDropped = byTime[WINDOW_IDS]![1];
    floor = newestDropped + 1;
    mark.ids = new Map(kept.filter(([, atMs]) => atMs >= floor));
  }
  mark.floorMs = floor;
}
