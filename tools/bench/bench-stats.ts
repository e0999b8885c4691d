import { setTimeout as sleep } from 'node:timers/promises';

/** Latency figures in milliseconds, rounded to 0.1 ms. */
export interface LatencySummary {
  count: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

const round = (x: number, digits = 1): number => Math.round(x * 10 ** digits) / 10 ** digits;
export { round };

/** The nearest-rank percentile (0–100) of `values`; NaN when empty. */
function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)));
  return sorted[rank - 1]!;
}

export function summarize(values: readonly number[]): LatencySummary {
  return {
    count: values.length,
    p50Ms: round(percentile(values, 50)),
    p99Ms: round(percentile(values, 99)),
    maxMs: round(values.length ? Math.max(...values) : Number.NaN),
  };
}

/**
 * Runs `work` over `items` on `lanes` concurrent lanes (each lane takes the
 * next item when its previous one is done), as a worker pool with that
 * concurrency would. Lane `i` is passed to `work` so callers can give each
 * lane its own connection. The first failure stops the run.
 */
export async function inLanes<T>(items: readonly T[], lanes: number, work: (item: T, lane: number, index: number) => Promise<void>): Promise<void> {
  let next = 0;
  let failed: unknown;
  const lane = async (id: number): Promise<void> => {
    while (failed === undefined && next < items.length) {
      const index = next++;
      try {
        await work(items[index]!, id, index);
      } catch (err) {
        failed ??= err;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(lanes, items.length) }, (_, i) => lane(i)));
  if (failed !== undefined) throw failed instanceof Error ? failed : new Error(JSON.stringify(failed));
}

/** Polls `check` every `everyMs` until it returns true; throws with `what` after `timeoutMs`. */
export async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs: number, everyMs = 20): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(everyMs);
  }
}

/** Sleeps until the wall clock reaches `atMs` (returns at once if it has). */
export async function sleepUntil(atMs: number): Promise<void> {
  const wait = atMs - Date.now();
  if (wait > 0) await sleep(wait);
}

/** Splits `items` into chunks of at most `size`. */
export function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
