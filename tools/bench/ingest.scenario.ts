import type { BenchContext } from './bench-context.js';
import type { DirectoryInfo } from '../dev/directory-info.js';
import { makeScenarioTree } from './bench.rig.js';
import { serviceSetup, spawnService } from './bench-service.js';
import { CpuMeter } from './cpu-meter.js';
import { measureIngest, type IngestMeasurement } from './measure-ingest.js';

export interface IngestResult {
  /** Max throughput: batches of 1,000, 4 requests in flight. */
  eventsPerSec: number;
  /** Latency at a fixed offered load of 1,000 events/s (batches of `latency.batch`, open loop). */
  p99Ms: number;
  throughput: IngestMeasurement;
  latency: IngestMeasurement;
  cores: { throughput: Record<string, number>; latency: Record<string, number> };
}

/**
 * (d) Session ingest over POST /v1/session-events (measureIngest, from the
 * session-log work) against `node dist/main.js api`: first as fast as 4
 * concurrent senders of 1,000-event batches go, then at 1,000 events/s
 * offered as 100 requests/s of 10 events (log shippers flush small batches
 * often), for `latencySeconds`.
 */
export async function ingestScenario(
  ctx: BenchContext,
  o: { server: DirectoryInfo; events: number; latencySeconds: number; tag: string },
): Promise<IngestResult> {
  const tree = await makeScenarioTree(o.server, `${o.tag}-ingest`, 1);
  const setup = serviceSetup(ctx, { name: `${o.tag}-ingest`, server: o.server, vendorOu: tree.vendorOu });
  const service = await spawnService(setup, 'api', { mainJs: ctx.mainJs, name: `${o.tag}-ingest`, profileDir: ctx.profileDir });
  try {
    const token = setup.tokens.logSource;
    const meter = new CpuMeter({ ...ctx.pids, service: service.pid });
    // A short warm-up, so that JIT and connection set-up are not measured.
    await measureIngest({ url: service.url, token, events: 5000, batch: 1000 });
    meter.begin();
    const throughput = await measureIngest({ url: service.url, token, events: o.events, batch: 1000, concurrency: 4 });
    const throughputCores = meter.end().cores;
    meter.begin();
    const latency = await measureIngest({ url: service.url, token, events: 1000 * o.latencySeconds, batch: 10, ratePerSec: 1000 });
    const latencyCores = meter.end().cores;
    if (throughput.errors || latency.errors)
      throw new Error(`ingest requests failed (${throughput.errors + latency.errors}):\n${service.output().slice(-3000)}`);
    return { eventsPerSec: throughput.eventsPerSec, p99Ms: latency.p99Ms, throughput, latency, cores: { throughput: throughputCores, latency: latencyCores } };
  } finally {
    await service.stop();
  }
}
