import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { DirectoryAccount, DirectoryPort } from '../../src/domain/ports/directory.port.js';
import { OpenLdapDirectory } from '../../src/provisioner/openldap/openldap.directory.js';
import { adminConnection, createLdapSubtree, type LdapSubtree } from '../rig/ldap-subtree.js';
import { vendorWithPerson } from '../support/fixtures.js';
import { apiClient, eventually, slapdTarget, startTestService, type TestService } from '../support/service-harness.js';
import { interceptDirectory } from '../support/intercept-directory.js';

/**
 * The real slapd adapter, except that a reconcile pass (listVendorAccounts)
 * stalls until the test lets it go: a directory too large or too slow for a
 * pass to end within a sweep interval.
 */
function stallingDirectory(real: DirectoryPort) {
  let enter!: () => void;
  let release!: () => void;
  const entered = new Promise<void>((r) => (enter = r));
  const released = new Promise<void>((r) => (release = r));
  let passesEnded = 0;
  async function* stalledList(): AsyncIterable<DirectoryAccount> {
    enter();
    await released;
    yield* real.listVendorAccounts();
    passesEnded++;
  }
  const directory = interceptDirectory(real, ({ method, proceed }) => (method === 'listVendorAccounts' ? stalledList() : proceed()));
  return { directory, entered, release, passesEnded: () => passesEnded };
}

describe('reconciliation runs on its own queue', () => {
  let subtree: LdapSubtree;
  let svc: TestService | undefined;
  let stall: ReturnType<typeof stallingDirectory>;

  beforeAll(async () => {
    const slapd = inject('slapd');
    subtree = await createLdapSubtree('recon-queue');
    const connection = adminConnection(slapd, 2);
    stall = stallingDirectory(new OpenLdapDirectory({ connection, vendorOu: subtree.dn, baseDn: slapd.baseDn, privilegedGroups: [] }));
    svc = await startTestService({
      redisUrl: inject('redisUrl'),
      directory: slapdTarget(slapd, subtree.dn),
      fakeDirectory: stall.directory,
      policy: { sweepIntervalSeconds: 1, reconcileIntervalSeconds: 1 },
    });
  });
  afterAll(async () => {
    stall?.release(); // the worker waits for the running pass when it closes
    await svc?.close();
    await subtree?.cleanup();
  });

  it('keeps sweeping (ends a contract that passed) while a reconcile pass is still running', async () => {
    await stall.entered;
    const api = apiClient(svc!.url);
    // The contract ends a few seconds from now, while the pass is stalled: only a sweep can end it.
    const { vendorId } = await vendorWithPerson(api, svc!, 'Stalled Co', new Date(Date.now() + 2000));
    const vendor = await eventually(async () => {
      const v = await api('GET', `/v1/vendors/${vendorId}`, svc!.tokens.auditor);
      return v.body.status === 'terminated' ? v.body : null;
    }, 15_000);
    expect(vendor.terminationReason).toContain('contract end');
    expect(stall.passesEnded()).toBe(0); // the reconcile pass had not finished meanwhile
    stall.release();
    await eventually(() => Promise.resolve(stall.passesEnded() > 0), 15_000);
  });
});
