import type { TestProject } from 'vitest/node';
import { startRig } from '../rig/global-setup.js';

/** The browser tests' servers: the integration rig's Redis and slapd, never Samba (the console tests run on OpenLDAP). */
export default function setup(project: TestProject): Promise<() => Promise<void>> {
  return startRig(project, { samba: false });
}
