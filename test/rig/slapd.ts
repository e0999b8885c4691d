import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { startSlapd, type SlapdRig } from '../../tools/dev/slapd.rig.js';
import { withFreePorts } from './ports.js';

/** Starts the run's slapd under `dir` on two free loopback ports (retrying if one was taken meanwhile). */
export async function startTestSlapd(dir: string): Promise<SlapdRig> {
  let attempt = 0;
  return withFreePorts(2, async ([ldapPort, ldapsPort]) => {
    const sub = join(dir, `slapd-${attempt++}`);
    await mkdir(sub, { recursive: true });
    return startSlapd({ dir: sub, ldapPort: ldapPort!, ldapsPort: ldapsPort! });
  });
}
