import type { ProvidedSlapd } from './slapd.js';

/**
 * What test/rig/global-setup.ts provides to integration tests via `inject()`.
 * The Samba helper adds its `samba` entry here beside its own rig.
 */
declare module 'vitest' {
  export interface ProvidedContext {
    /** The run's shared redis-server; every test uses its own key prefix. */
    redisUrl: string;
    /** The run's shared slapd; every test uses its own subtree (test/rig/ldap-subtree.ts). */
    slapd: ProvidedSlapd;
  }
}

export {};
