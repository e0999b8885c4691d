import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ProvisioningInProgress } from '../../src/provisioner/revoke.service.js';
import { crashingDirectory, SimulatedCrash, type CrashPoint } from '../support/crashing-directory.js';
import { interceptDirectory } from '../support/intercept-directory.js';
import { GROUPS, OPS, rejection, ServiceWorld, SUPERVISOR } from '../support/service-world.js';
import { changeRequest } from '../support/store-records.js';

describe('RevokeService', () => {
  let world: ServiceWorld;
  beforeEach(() => {
    world = new ServiceWorld();
  });
  afterEach(() => world.expectChainIntact());

  /** The revocation lag the metric has observed for `trigger`, in seconds. */
  async function lagSum(trigger: string): Promise<number | undefined> {
    const { values } = await world.metrics.revocationLag.get();
    return values.find((v) => v.metricName === 'leasehold_revocation_lag_seconds_sum' && v.labels.trigger === trigger)?.value;
  }

  it('disables the account, strips every group (those added by hand too) and scrambles the password', async () => {
    const { person } = await world.vendorWithPerson();
    const active = await world.active(person.id);
    const dn = active.account!.dn!;
    const password = await world.requests.takeCredential(OPS, active.id);
    await world.directory.addToGroups(dn, [GROUPS.printers]);
    await world.requests.revoke(SUPERVISOR, active.id, 'manual', 'work done');
    world.clock.advance(250);
    const mark = world.mark();

    await world.revoker.revoke(active.id, 'manual');
    expect(await world.directory.getAccount(dn)).toMatchObject({ enabled: false, groups: [] });
    expect(await world.directory.canBind(dn, password)).toBe(false);
    expect(await world.request(active.id)).toMatchObject({
      status: 'revoked',
      credential: 'retrieved',
      account: { state: 'disabled', dn, disabledAt: world.clock.now().toISOString() },
      revocation: { trigger: 'manual', by: SUPERVISOR },
    });
    expect(world.eventsSince(mark)).toEqual([
      ['account.disabled', `request:${active.id}`, 'success'],
      ['request.revoked', `request:${active.id}`, 'success'],
    ]);
    const disabled = world.events()[mark]!;
    expect(new Set(disabled.details.removedGroups as string[])).toEqual(new Set([GROUPS.erp, GROUPS.reports, GROUPS.printers]));
    expect(disabled.details).toMatchObject({ dn, trigger: 'manual', lagMs: 250 });
    expect(await lagSum('manual')).toBeCloseTo(0.25);
    expect(world.notifier.sent.at(-1)).toEqual({ event: 'revoked', requestId: active.id });
  });

  it('expires an account at validTo and records the lag from validTo; an expiry job that fires early does nothing', async () => {
    const { person } = await world.vendorWithPerson();
    const active = await world.active(person.id);
    const validTo = Date.parse(active.validTo);
    const mark = world.mark();

    world.clock.set(new Date(validTo - 5000));
    await world.revoker.revoke(active.id, 'expiry');
    expect(world.mark()).toBe(mark);
    expect((await world.directory.getAccount(active.account!.dn!))?.enabled).toBe(true);

    world.clock.set(new Date(validTo + 1500));
    await world.revoker.revoke(active.id, 'expiry');
    expect(await world.request(active.id)).toMatchObject({ status: 'expired', credential: 'none', revocation: { trigger: 'expiry', by: 'worker' } });
    expect(await world.sealedCredential(active.id)).toBeNull();
    expect(world.events().find((e) => e.action === 'account.disabled')?.details).toMatchObject({ trigger: 'expiry', lagMs: 1500 });
    expect(await lagSum('expiry')).toBeCloseTo(1.5);
    expect(await world.store.dueForExpiry(Number.MAX_SAFE_INTEGER, 10)).toEqual([]);
  });

  it('is idempotent: a second run changes and records nothing', async () => {
    const { person } = await world.vendorWithPerson();
    const active = await world.active(person.id);
    await world.requests.revoke(SUPERVISOR, active.id, 'manual');
    await world.revoker.revoke(active.id, 'manual');
    const after = await world.request(active.id);
    const mark = world.mark();
    world.clock.advance(1000);
    await world.revoker.revoke(active.id, 'manual');
    await world.revoker.revoke(active.id, 'expiry');
    expect(await world.request(active.id)).toEqual(after);
    expect(world.mark()).toBe(mark);
    expect(world.notifier.sent.filter((n) => n.event === 'revoked')).toHaveLength(1);
  });

  it('joins a second revocation of the same request to the one running: the directory is written once, the change recorded once', async () => {
    const { person } = await world.vendorWithPerson();
    const active = await world.active(person.id);
    world.clock.set(new Date(Date.parse(active.validTo) + 100));
    let revokes = 0;
    const counting = interceptDirectory(world.directory, ({ method, proceed }) => {
      if (method === 'revokeAccount') revokes++;
      return proceed();
    });
    const revoker = world.revokerOn(counting);
    // The alarm and the sweeper's re-queued job at once, and a third trigger behind them.
    await Promise.all([revoker.revoke(active.id, 'expiry'), revoker.revoke(active.id, 'expiry'), revoker.revoke(active.id, 'expiry')]);
    expect(revokes).toBe(1);
    expect((await world.request(active.id)).status).toBe('expired');
    expect(world.events().filter((e) => e.subject === `request:${active.id}` && e.action === 'request.expired')).toHaveLength(1);
  });

  const crashes: CrashPoint[] = [
    { method: 'revokeAccount', when: 'before' },
    { method: 'revokeAccount', when: 'after' },
  ];
  it.each(crashes)('finishes after a crash $when $method: disabled, no group left, recorded once', async (crash) => {
    const { person } = await world.vendorWithPerson();
    const active = await world.active(person.id);
    const dn = active.account!.dn!;
    await world.requests.revoke(SUPERVISOR, active.id, 'manual');
    expect(await rejection(world.revokerOn(crashingDirectory(world.directory, crash)).revoke(active.id, 'manual'))).toBeInstanceOf(SimulatedCrash);
    expect((await world.request(active.id)).status).toBe('active');

    await world.revoker.revoke(active.id, 'manual');
    expect(await world.directory.getAccount(dn)).toMatchObject({ enabled: false, groups: [] });
    expect(await world.request(active.id)).toMatchObject({ status: 'revoked', account: { state: 'disabled' } });
    expect(world.events().filter((e) => e.subject === `request:${active.id}` && ['account.disabled', 'request.revoked'].includes(e.action))).toHaveLength(2);
  });

  it('waits while a provision job owns the request, and revokes a request that never got an account', async () => {
    const { person } = await world.vendorWithPerson();
    const approved = await world.approved(person.id);
    await changeRequest(world.store, approved.id, { status: 'provisioning' });
    await world.requests.revoke(SUPERVISOR, approved.id, 'manual');
    expect(await rejection(world.revoker.revoke(approved.id, 'manual'))).toBeInstanceOf(ProvisioningInProgress);
    expect((await world.request(approved.id)).status).toBe('provisioning');

    const never = await world.approved(person.id);
    await world.requests.revoke(SUPERVISOR, never.id, 'manual');
    const mark = world.mark();
    await world.revoker.revoke(never.id, 'manual');
    expect((await world.request(never.id)).status).toBe('revoked');
    expect(world.eventsSince(mark)).toEqual([['request.revoked', `request:${never.id}`, 'success']]);
  });
});
