import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { round, summarize } from './bench-stats.js';

/** What one ingest measurement found. */
export interface IngestMeasurement {
  mode: 'max-throughput' | 'offered-load';
  events: number;
  batch: number;
  /** Offered rate (offered-load mode only). */
  offeredPerSec?: number;
  seconds: number;
  eventsPerSec: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  /** Requests that did not answer 202. */
  errors: number;
}

export interface MeasureIngestOptions {
  /** Base URL of a running API, e.g. `http://127.0.0.1:8080`. */
  url: string;
  /** A log-source (or admin) token. */
  token: string;
  /** Events to send in all. */
  events: number;
  /** Events per request (≤ 1,000). */
  batch: number;
  /** Offered load in events/s (batches sent on a fixed schedule, whatever the answers); absent = as fast as possible. */
  ratePerSec?: number;
  /** Requests in flight at once in max-throughput mode. Default 4. */
  concurrency?: number;
  /** Distinct accounts the events are spread over (sessions of 20 events each). Default 200. */
  accounts?: number;
  /** Account names are `<accountPrefix><n>`; seed requests with these usernames to measure known accounts. Default `v-bench-<random>-`. */
  accountPrefix?: string;
}

/** Seconds between the starts of consecutive sessions (of different accounts). */
const SESSION_GAP_S = 10;

/**
 * Builds the request bodies beforehand, so that generating events is not
 * measured: bastion-style sessions (login, commands incl. one `sudo -i`,
 * logout) of `accounts` accounts, 20 events over 2 s each, one account per
 * session in turn and one address per account, so an account's sessions do
 * not overlap (as for honest use). Every event is distinct: a run never meets
 * its own duplicates.
 */
function bodies(o: MeasureIngestOptions): string[] {
  const run = randomBytes(4).toString('hex');
  const accounts = o.accounts ?? 200;
  const prefix = o.accountPrefix ?? `v-bench-${run}-`;
  const sessions = Math.ceil(o.events / 20);
  const t0 = Date.now() - (sessions * SESSION_GAP_S + 3600) * 1000;
  const out: string[] = [];
  for (let start = 0; start < o.events; start += o.batch) {
    const events = [];
    for (let i = start; i < Math.min(o.events, start + o.batch); i++) {
      const session = Math.floor(i / 20);
      const step = i % 20;
      const account = session % accounts;
      events.push({
        source: `bastion-${account % 3}`,
        account: `${prefix}${account}`,
        type: step === 0 ? 'login' : step === 19 ? 'logout' : 'command',
        at: new Date(t0 + session * SESSION_GAP_S * 1000 + step * 100).toISOString(),
        target: 'erp-db01',
        sourceIp: `10.20.${account >> 8}.${account & 255}`,
        sourceSessionId: `${run}-${session}`,
        ...(step > 0 && step < 19 ? { detail: step === 7 ? 'sudo -i' : `tail -n ${i} /var/log/erp.log` } : {}),
      });
    }
    out.push(JSON.stringify({ events }));
  }
  return out;
}

async function post(url: string, token: string, body: string): Promise<{ ms: number; ok: boolean }> {
  const started = performance.now();
  try {
    const res = await fetch(`${url}/v1/session-events`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body,
    });
    await res.arrayBuffer();
    return { ms: performance.now() - started, ok: res.status === 202 };
  } catch {
    return { ms: performance.now() - started, ok: false };
  }
}

/**
 * Session ingest throughput and latency over HTTP (DESIGN.md, Performance:
 * ≥ 20,000 events/s; p99 ≤ 50 ms at 1,000 events/s). Max-throughput mode
 * keeps `concurrency` requests in flight; offered-load mode sends a batch
 * every `batch / ratePerSec` seconds, open loop, and reports the latency of
 * each request.
 */
export async function measureIngest(o: MeasureIngestOptions): Promise<IngestMeasurement> {
  if (o.batch < 1 || o.batch > 1000) throw new Error('batch must be 1..1000');
  const all = bodies(o);
  const latencies: number[] = [];
  let errors = 0;
  const record = (r: { ms: number; ok: boolean }) => {
    latencies.push(r.ms);
    if (!r.ok) errors++;
  };
  const started = performance.now();
  if (o.ratePerSec) {
    const intervalMs = (o.batch / o.ratePerSec) * 1000;
    const inFlight: Promise<void>[] = [];
    for (let i = 0; i < all.length; i++) {
      const due = started + i * intervalMs;
      const wait = due - performance.now();
      if (wait > 0) await sleep(wait);
      inFlight.push(post(o.url, o.token, all[i]!).then(record));
    }
    await Promise.all(inFlight);
  } else {
    let next = 0;
    const lane = async () => {
      while (next < all.length) record(await post(o.url, o.token, all[next++]!));
    };
    await Promise.all(Array.from({ length: Math.max(1, o.concurrency ?? 4) }, lane));
  }
  const seconds = (performance.now() - started) / 1000;
  const s = summarize(latencies);
  return {
    mode: o.ratePerSec ? 'offered-load' : 'max-throughput',
    events: o.events,
    batch: o.batch,
    ...(o.ratePerSec ? { offeredPerSec: o.ratePerSec } : {}),
    seconds: round(seconds, 2),
    eventsPerSec: Math.round(o.events / seconds),
    p50Ms: s.p50Ms,
    p99Ms: s.p99Ms,
    maxMs: s.maxMs,
    errors,
  };
}
