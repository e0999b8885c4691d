import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { DirectoryPort } from '../../src/domain/ports/directory.port.js';
import { EXPIRY_SLOT_MS, expirySlot } from '../../src/domain/ports/job-scheduler.port.js';
import { DirectoryError } from '../../src/errors.js';
import { childDn } from '../../src/provisioner/ldap/escape.js';
import type { LdapConnection } from '../../src/provisioner/ldap/ldap-connection.js';
import { OpenLdapDirectory } from '../../src/provisioner/openldap/openldap.directory.js';
import { QueueBus } from '../../src/queues/queue-bus.js';
import { jobIds } from '../../src/queues/job-registry.js';
import { RedisKeys } from '../../src/store/redis-keys.js';
import { adminConnection, createLdapSubtree, type LdapSubtree } from '../rig/ldap-subtree.js';
import { probe } from '../support/directory-probe.js';
import { auditTrail, fileRequest, untilStatus, vendorWithPerson } from '../support/fixtures.js';
import { apiClient, eventually, slapdTarget, startTestService, type DirectoryTarget, type TestService } from '../support/service-harness.js';
import { interceptDirectory } from '../support/intercept-directory.js';

/**
 * The real slapd adapter, except that once armed with an account's DN the
 * next directory call naming that DN fails as a busy server would (retryable):
 * an outage that hits one revocation of several.
 */
function flakyDirectory(real: DirectoryPort) {
  let armed: string | undefined;
  let failures = 0;
  const directory = interceptDirectory(real, ({ args, proceed }) => {
    if (armed === undefined || typeof args[0] !== 'string' || args[0].toLowerCase() !== armed) return proceed();
    armed = undefined;
    failures++;
    return Promise.reject(new DirectoryError('the directory is busy (injected)', true, 51));
  });
  return { directory, failNextFor: (dn: string) => void (armed = dn.toLowerCase()), failures: () => failures };
}

/** Milliseconds from validTo until the request was recorded expired. */
const lagOf = (r: { validTo: string; history: { at: string; to?: string }[] }) =>
  Date.parse(r.history.find((h) => h.to === 'expired')!.at) - Date.parse(r.validTo);

describe('the expiry alarm (layer 2 of revocation) on Redis and slapd, with the sweeper and reconciliation an hour apart', () => {
  let subtree: LdapSubtree;
  let connection: LdapConnection;
  let flaky: ReturnType<typeof flakyDirectory>;
  let svc: TestService;
  let api: ReturnType<typeof apiClient>;
  let target: DirectoryTarget;
  let bus: QueueBus;
  const group = childDn('cn', 'erp-support', inject('slapd').groupsOu);

  beforeAll(async () => {
    const slapd = inject('slapd');
    subtree = await createLdapSubtree('alarm');
    connection = adminConnection(slapd, 4);
    flaky = flakyDirectory(new OpenLdapDirectory({ connection, vendorOu: subtree.dn, baseDn: slapd.baseDn, privilegedGroups: [] }));
    target = slapdTarget(slapd, subtree.dn);
    // Only the alarm can revoke here: the sweeper (layer 3) and reconciliation (layer 4) run once at start, then an hour later.
    svc = await startTestService({
      redisUrl: inject('redisUrl'),
      directory: target,
      fakeDirectory: flaky.directory,
      policy: { sweepIntervalSeconds: 3600, reconcileIntervalSeconds: 3600 },
    });
    api = apiClient(svc.url);
    bus = new QueueBus({ url: inject('redisUrl'), maxRetriesPerRequest: null }, new RedisKeys(svc.prefix).queuePrefix(), () => new Date());
  });
  afterAll(async () => {
    await bus?.close();
    await svc?.close();
    await connection?.close();
    await subtree?.cleanup();
  });

  /** Files and approves a request ending at `validTo`; waits until it is active and its password fetched. */
  async function active(personId: string, validTo: Date) {
    const id = await fileRequest(api, svc, personId, group, { validTo });
    const r = await untilStatus(api, svc, id, 'active');
    const password = (await api('POST', `/v1/requests/${id}/credentials`, svc.tokens.requester, {})).body.password as string;
    expect(await probe.canBind(target, r.account.dn, password)).toBe(true);
    return { id, dn: r.account.dn as string, password };
  }

  /** Waits for the request to be expired; checks that the vendor can no longer bind and is in no group. */
  async function expectExpired(a: { id: string; dn: string; password: string }, validTo: Date) {
    const r = await untilStatus(api, svc, a.id, 'expired', validTo.getTime() - Date.now() + 10_000);
    expect(r.account.state).toBe('disabled');
    expect(await probe.canBind(target, a.dn, a.password)).toBe(false);
    expect(await probe.groupMembers(target, group)).not.toContain(a.dn.toLowerCase());
    return r;
  }

  /** The jobs of the service's revocation queue not yet run. */
  const pendingRevocationJobs = () => bus.queues.revocation.getJobs(['delayed', 'waiting', 'prioritized', 'active']);

  it('keeps one alarm per 100 ms slot: a second validTo in the slot adds nothing, another slot its own, each due at its slot end', async () => {
    const own = new QueueBus({ url: inject('redisUrl'), maxRetriesPerRequest: null }, `${svc.prefix}-alarms`, () => new Date());
    try {
      const slot = expirySlot(new Date(Date.now() + 3_600_000));
      const before = Date.now();
      await own.scheduleExpiry(new Date(slot * EXPIRY_SLOT_MS - 99));
      await own.scheduleExpiry(new Date(slot * EXPIRY_SLOT_MS));
      await own.scheduleExpiry(new Date(slot * EXPIRY_SLOT_MS + 1));
      const jobs = await own.queues.revocation.getDelayed();
      expect(jobs.map((j) => [j.id, j.name, j.data]).sort()).toEqual([
        [`expire-${slot}`, 'expire', { slot }],
        [`expire-${slot + 1}`, 'expire', { slot: slot + 1 }],
      ]);
      for (const job of jobs) {
        const due = job.timestamp + (job.opts.delay ?? 0);
        expect(due).toBeGreaterThanOrEqual(job.data.slot * EXPIRY_SLOT_MS);
        expect(due).toBeLessThan(job.data.slot * EXPIRY_SLOT_MS + (Date.now() - before) + 5);
      }
      await own.queues.revocation.obliterate({ force: true });
    } finally {
      await own.close();
    }
  });

  it('asks Redis once per future slot a process queued, until Redis reconnects: then it queues the slot again', async () => {
    const own = new QueueBus({ url: inject('redisUrl'), maxRetriesPerRequest: null }, `${svc.prefix}-remembered`, () => new Date());
    try {
      const validTo = new Date(Date.now() + 3_600_000);
      const id = jobIds.expire(expirySlot(validTo));
      await own.scheduleExpiry(validTo);
      expect(await own.queues.revocation.getJob(id)).toBeDefined();
      // As if Redis lost the newest writes in a failover: the process still remembers it queued the slot.
      await own.queues.revocation.remove(id);
      await own.scheduleExpiry(validTo);
      expect(await own.queues.revocation.getJob(id)).toBeUndefined();
      own.forgetQueuedAlarms(); // what a reconnect does, before the worker's catch-up
      await own.scheduleExpiry(validTo);
      expect(await own.queues.revocation.getJob(id)).toBeDefined();
      await own.queues.revocation.obliterate({ force: true });
    } finally {
      await own.close();
    }
  });

  it('expires an active request within a second of validTo: the vendor can no longer bind and is in no group', async () => {
    const { personId } = await vendorWithPerson(api, svc, 'Alarm Co');
    const validTo = new Date(Date.now() + 5000);
    const a = await active(personId, validTo);
    const queued = await pendingRevocationJobs();
    expect(queued.map((j) => j.id)).toContain(`expire-${expirySlot(validTo)}`);
    expect(queued.filter((j) => j.name === 'revoke')).toEqual([]); // no job of its own at validTo

    const r = await expectExpired(a, validTo);
    expect(lagOf(r)).toBeGreaterThanOrEqual(0);
    expect(lagOf(r)).toBeLessThan(1000);
    const disabled = (await auditTrail(svc)).find((e) => e.action === 'account.disabled' && e.subject === `request:${a.id}`);
    expect(disabled?.details).toMatchObject({ trigger: 'expiry' });
  });

  it('revokes several requests ending in one slot with one alarm', async () => {
    const { personId } = await vendorWithPerson(api, svc, 'Slot Co');
    const slot = expirySlot(new Date(Date.now() + 6000));
    const ends = [0, 30, 60, 99].map((ms) => new Date(slot * EXPIRY_SLOT_MS - ms));
    const accounts = [];
    for (const validTo of ends) accounts.push(await active(personId, validTo));

    const queued = await pendingRevocationJobs();
    expect(queued.filter((j) => j.name === 'expire' && j.data.slot === slot).map((j) => j.id)).toEqual([`expire-${slot}`]);
    expect(queued.filter((j) => j.name === 'revoke')).toEqual([]);

    for (const [i, a] of accounts.entries()) expect(lagOf(await expectExpired(a, ends[i]!))).toBeLessThan(1000);
  });

  it('retries an alarm whose revocations partly failed until it has finished them', async () => {
    const { personId } = await vendorWithPerson(api, svc, 'Flaky Co');
    const slot = expirySlot(new Date(Date.now() + 6000));
    const validTo = new Date(slot * EXPIRY_SLOT_MS);
    const [a, b, c] = [await active(personId, validTo), await active(personId, validTo), await active(personId, validTo)];
    flaky.failNextFor(b.dn);

    const [ra, rc] = [await expectExpired(a, validTo), await expectExpired(c, validTo)];
    expect(lagOf(ra)).toBeLessThan(1000);
    expect(lagOf(rc)).toBeLessThan(1000);
    const rb = await expectExpired(b, validTo);
    expect(flaky.failures()).toBe(1);
    // Revoked by the alarm's retry, after BullMQ's backoff (at least 250 ms): nothing else runs within the hour.
    expect(lagOf(rb)).toBeGreaterThanOrEqual(250);
    expect(lagOf(rb)).toBeLessThan(5000);
    // Done, the alarm is gone (its completion is written just after the last revocation's).
    await eventually(async () => (await pendingRevocationJobs()).every((j) => !(j.name === 'expire' && j.data.slot === slot)), 5000);
  });
});
