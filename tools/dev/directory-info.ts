import type { SambaInfo } from './samba.rig.js';
import type { SlapdInfo } from './slapd.rig.js';

/**
 * A rig directory of either dialect, as plain data: what the dev stack and the
 * bench configure the service and raw clients with. `dialect` tells them apart.
 */
export type DirectoryInfo = SlapdInfo | SambaInfo;
