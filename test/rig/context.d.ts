import type { SambaInfo } from '../../tools/dev/samba.rig.js';
import type { SlapdInfo } from '../../tools/dev/slapd.rig.js';

/**
 * What test/rig/global-setup.ts provides to integration tests via `inject()`.
 */
declare module 'vitest' {
  export interface ProvidedContext {
    /** The run's shared redis-server; every test uses its own key prefix. */
    redisUrl: string;
    /** The run's shared slapd; every test uses its own subtree (test/rig/ldap-subtree.ts). */
    slapd: SlapdInfo;
    /** The run's Samba AD DC (LDAPS, rig CA); null when LEASEHOLD_TEST_AD=0. Every test uses its own OU under OU=Vendors (test/rig/samba.ts). */
    samba: SambaInfo | null;
  }
}

export {};
