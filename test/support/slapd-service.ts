import { afterAll, beforeAll, inject } from 'vitest';
import { createLdapSubtree, type LdapSubtree } from '../rig/ldap-subtree.js';
import { apiClient, slapdTarget, startTestService, type DirectoryTarget, type ServiceSetup, type TestService } from './service-harness.js';

/** What a test file gets from useSlapdService once its beforeAll has run. */
export interface SlapdServiceFixture {
  subtree: LdapSubtree;
  target: DirectoryTarget;
  svc: TestService;
  api: ReturnType<typeof apiClient>;
}

/**
 * Registers beforeAll/afterAll for the usual integration set-up: the file's
 * own subtree of the run's slapd as vendor container, and an in-process
 * service (API + worker) on it with its own Redis prefix.
 */
export function useSlapdService(label: string, policy?: ServiceSetup['policy']): SlapdServiceFixture {
  const fixture = {} as SlapdServiceFixture;
  beforeAll(async () => {
    fixture.subtree = await createLdapSubtree(label);
    fixture.target = slapdTarget(inject('slapd'), fixture.subtree.dn);
    fixture.svc = await startTestService({ redisUrl: inject('redisUrl'), directory: fixture.target, ...(policy ? { policy } : {}) });
    fixture.api = apiClient(fixture.svc.url);
  });
  afterAll(async () => {
    await fixture.svc?.close();
    await fixture.subtree?.cleanup();
  });
  return fixture;
}
