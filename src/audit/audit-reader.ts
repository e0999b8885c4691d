import type { Redis } from 'ioredis';
import { GENESIS_HASH } from './audit-event.js';
import type { ChainHead } from './chain-checker.js';

/** Events per LRANGE: big enough to amortise round trips, small enough not to stall Redis. */
export const CHUNK = 1000;

/** A consistent snapshot of the stored head and the list length (one MULTI). */
export async function readHead(redis: Redis, headKey: string, eventsKey: string): Promise<{ head: ChainHead | null; length: number }> {
  const result = await redis.multi().get(headKey).llen(eventsKey).exec();
  if (!result) throw new Error('audit head snapshot was aborted');
  const [[headErr, rawHead], [lenErr, length]] = result as [[Error | null, string | null], [Error | null, number]];
  if (headErr) throw headErr;
  if (lenErr) throw lenErr;
  const head = rawHead ? (JSON.parse(rawHead) as ChainHead) : null;
  return { head, length };
}

/** The genesis link, for a chain read from its start. */
export const GENESIS: ChainHead = { seq: 0, hash: GENESIS_HASH };

/**
 * Stored event lines from list index `from` up to and including `to`, oldest
 * first, read in chunks so that a long trail never sits in memory at once.
 */
export async function* readRange(redis: Redis, key: string, from: number, to: number, chunk = CHUNK): AsyncGenerator<string> {
  for (let start = Math.max(0, from); start <= to; start += chunk) {
    const lines = await redis.lrange(key, start, Math.min(start + chunk - 1, to));
    if (lines.length === 0) return;
    yield* lines;
  }
}

/** The same, newest first, starting at index `from` and going down to `downTo`. */
export async function* readRangeDesc(redis: Redis, key: string, from: number, downTo = 0, chunk = CHUNK): AsyncGenerator<string> {
  for (let end = from; end >= downTo; end -= chunk) {
    const lines = await redis.lrange(key, Math.max(downTo, end - chunk + 1), end);
    if (lines.length === 0) return;
    for (let i = lines.length - 1; i >= 0; i--) yield lines[i]!;
  }
}
