#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { startBenchRig } from './bench-rig.js';
import { provisioningScenario } from './provisioning.scenario.js';

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { quick: { type: 'boolean', default: false }, ad: { type: 'boolean', default: false }, profile: { type: 'string' } } });
  const rig = await startBenchRig({ ad: values.ad });
  try {
    const ctx = { dir: rig.dir, redisUrl: rig.redis.url, pids: { bench: process.pid, slapd: rig.slapd.process.child.pid, redis: rig.redis.process.child.pid }, mainJs: new URL('../main.js', import.meta.url).pathname, profileDir: values.profile };
    const r = await provisioningScenario(ctx, { server: rig.openldap, accounts: values.quick ? 200 : 1000, tag: 'ol' });
    console.log(r);
  } finally {
    await rig.stop();
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? (err.stack ?? err.message) : String(err));
  process.exit(1);
});
