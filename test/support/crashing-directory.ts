import type { DirectoryPort } from '../../src/domain/ports/directory.port.js';
import { interceptDirectory } from './intercept-directory.js';

/** The directory writes a job makes, in the order the provision and revoke jobs make them. */
export type DirectoryWrite =
  'createAccount' | 'setPassword' | 'addToGroups' | 'enableAccount' | 'revokeAccount' | 'disableAccount' | 'removeFromGroups' | 'deleteAccount';

/** Where a simulated crash hits a directory write: before it reaches the directory, or once the directory has done it. */
export type CrashPoint = { method: DirectoryWrite; when: 'before' | 'after' };

/** What a crashed job throws: the process died there. */
export class SimulatedCrash extends Error {}

/**
 * Wraps a directory so that the first call of `crash.method` dies (a worker
 * killed mid-job): `before` the directory sees it, or `after` it has done
 * the write but before the job goes on. Every other call, and every later
 * call, passes through; the job's retry then runs on the directory as the
 * crash left it.
 */
export function crashingDirectory(directory: DirectoryPort, crash: CrashPoint): DirectoryPort {
  let crashed = false;
  return interceptDirectory(directory, ({ method, proceed }) => {
    if (method !== crash.method || crashed) return proceed();
    crashed = true;
    return (async () => {
      if (crash.when === 'after') await proceed();
      throw new SimulatedCrash(`crashed ${crash.when} ${crash.method}`);
    })();
  });
}
