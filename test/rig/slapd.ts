import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { startSlapd, type SlapdRig } from '../../src/dev/slapd-rig.js';
import { withFreePorts } from './ports.js';

/** What tests receive about the run's slapd (`inject('slapd')`); plain data, no handles. */
export interface ProvidedSlapd {
  /** `ldap://127.0.0.1:P` (StartTLS, or plaintext only where insecure is allowed). */
  ldapUrl: string;
  /** `ldaps://127.0.0.1:Q`. */
  ldapsUrl: string;
  /** The rig CA that signed the server certificate (CN/SAN 127.0.0.1, localhost). */
  caFile: string;
  caPem: string;
  /** The manager DN (rootdn) and its password. */
  bindDn: string;
  bindPassword: string;
  baseDn: string;
  vendorsOu: string;
  groupsOu: string;
  peopleOu: string;
  /** The accesslog database suffix (`cn=accesslog`): bind/write events with reqType, reqDN, reqResult, reqStart. */
  accesslogDn: string;
  /** The ppolicy default policy entry (pwdLockout TRUE). */
  defaultPolicyDn: string;
  /** gidNumber of the seeded `vendors` posixGroup. */
  vendorGid: number;
}

/** Starts the run's slapd under `dir` on two free loopback ports (retrying if one was taken meanwhile). */
export async function startTestSlapd(dir: string): Promise<SlapdRig> {
  let attempt = 0;
  return withFreePorts(2, async ([ldapPort, ldapsPort]) => {
    const sub = join(dir, `slapd-${attempt++}`);
    await mkdir(sub, { recursive: true });
    return startSlapd({ dir: sub, ldapPort: ldapPort!, ldapsPort: ldapsPort! });
  });
}

/** The serialisable part of a running rig, for `provide('slapd', …)`. */
export function providedSlapd(rig: SlapdRig): ProvidedSlapd {
  const { ldapUrl, ldapsUrl, caFile, caPem, bindDn, bindPassword, baseDn, vendorsOu, groupsOu, peopleOu, accesslogDn, defaultPolicyDn, vendorGid } = rig;
  return { ldapUrl, ldapsUrl, caFile, caPem, bindDn, bindPassword, baseDn, vendorsOu, groupsOu, peopleOu, accesslogDn, defaultPolicyDn, vendorGid };
}
