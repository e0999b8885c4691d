#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { startBenchRig } from './bench-rig.js';
import { provisioningScenario } from './provisioning.scenario.js';

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { quick: { type: 'boolean', default: false }, ad: { type: 'boolean', default: false } } });
  const rig = await startBenchRig({ ad: values.ad });
  try {
    const r = await provisioningScenario({ server: rig.openldap, redisUrl: rig.redis.url, dir: rig.dir, accounts: values.quick ? 200 : 1000, tag: 'ol' });
    console.log(r);
  } finally {
    await rig.stop();
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? (err.stack ?? err.message) : String(err));
  process.exit(1);
});
