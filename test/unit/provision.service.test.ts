import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { DirectoryAccount } from '../../src/domain/ports/directory.port.js';
import { crashingDirectory, SimulatedCrash, type CrashPoint } from '../support/crashing-directory.js';
import { GROUPS, OPS, rejection, ServiceWorld, SUPERVISOR } from '../support/service-world.js';

describe('ProvisionService', () => {
  let world: ServiceWorld;
  beforeEach(() => {
    world = new ServiceWorld();
  });
  afterEach(() => world.expectChainIntact());

  async function vendorAccounts(): Promise<DirectoryAccount[]> {
    const all: DirectoryAccount[] = [];
    for await (const account of world.directory.listVendorAccounts()) all.push(account);
    return all;
  }

  /** One account for the request, enabled until validTo, in exactly the approved groups; the request active with it. */
  async function expectProvisionedOnce(requestId: string): Promise<void> {
    const request = await world.request(requestId);
    const accounts = await vendorAccounts();
    expect(accounts).toHaveLength(1);
    const [account] = accounts;
    expect(account).toMatchObject({
      requestId,
      enabled: true,
      dn: request.account?.dn,
      username: request.account?.username,
      expiresAt: new Date(request.validTo),
    });
    expect([...account!.groups].sort()).toEqual([...request.groups].sort());
    expect(request).toMatchObject({ status: 'active', credential: 'available', account: { state: 'active' } });
    const count = (action: string) => world.events().filter((e) => e.action === action && e.subject === `request:${requestId}`).length;
    expect([count('provisioning.started'), count('account.created'), count('request.active')]).toEqual([1, 1, 1]);
    expect((await world.metrics.provisioned.get()).values[0]?.value).toBe(1);
  }

  it('creates exactly one account with exactly the approved groups, enabled until validTo', async () => {
    const { person } = await world.vendorWithPerson();
    const approved = await world.approved(person.id, { groups: [GROUPS.erp] });
    const mark = world.mark();
    await world.provisionerOn().provision(approved.id, approved.attempt);
    await expectProvisionedOnce(approved.id);
    expect((await world.request(approved.id)).account?.username).toBe('v-acmemain-ann-1');
    expect(world.eventsSince(mark)).toEqual([
      ['provisioning.started', `request:${approved.id}`, 'success'],
      ['account.created', `request:${approved.id}`, 'success'],
      ['request.active', `request:${approved.id}`, 'success'],
    ]);
    expect(world.events().at(-2)!.details).toMatchObject({ groups: [GROUPS.erp], expiresAt: approved.validTo });
    expect(world.notifier.sent.filter((n) => n.event === 'active')).toEqual([{ event: 'active', requestId: approved.id }]);

    // Run again (a duplicate job): nothing more happens, and the requester is not told twice.
    await world.provisionerOn().provision(approved.id, approved.attempt);
    expect(world.mark()).toBe(mark + 3);
    expect(world.notifier.sent.filter((n) => n.event === 'active')).toHaveLength(1);
    await expectProvisionedOnce(approved.id);
  });

  const crashes: CrashPoint[] = [
    { method: 'createAccount', when: 'before' },
    { method: 'createAccount', when: 'after' },
    { method: 'setPassword', when: 'after' },
    { method: 'addToGroups', when: 'after' },
    { method: 'enableAccount', when: 'after' },
  ];
  it.each(crashes)('finishes the job after a crash $when $method, never making a second account', async (crash) => {
    const { person } = await world.vendorWithPerson();
    const approved = await world.approved(person.id);
    const crashed = await rejection(world.provisionerOn(crashingDirectory(world.directory, crash)).provision(approved.id, approved.attempt));
    expect(crashed).toBeInstanceOf(SimulatedCrash);
    expect((await world.request(approved.id)).status).toBe('provisioning');

    await world.provisionerOn().provision(approved.id, approved.attempt);
    await expectProvisionedOnce(approved.id);
    const password = await world.requests.takeCredential(OPS, approved.id);
    expect(await world.directory.canBind((await world.request(approved.id)).account!.dn!, password)).toBe(true);
  });

  it('refuses a group that became privileged after approval: the request fails, no account is made', async () => {
    const { person } = await world.vendorWithPerson();
    const approved = await world.approved(person.id);
    world.directory.nestGroup(GROUPS.reports, GROUPS.wheel);
    await world.provisionerOn().provision(approved.id, approved.attempt);

    expect(await vendorAccounts()).toEqual([]);
    expect(await world.request(approved.id)).toMatchObject({ status: 'failed', failure: { reason: expect.stringContaining(GROUPS.wheel) } });
    expect(world.events().at(-1)).toMatchObject({ action: 'provisioning.failed', outcome: 'failure', details: { rules: ['no_privileged_groups'] } });
    expect(world.notifier.sent.at(-1)).toEqual({ event: 'failed', requestId: approved.id });
  });

  it('seals the password: only the sealed form is stored, it opens to a password that binds, and it is in no event, job or notification', async () => {
    const { person } = await world.vendorWithPerson();
    const active = await world.active(person.id);
    const sealed = await world.sealedCredential(active.id);
    const password = await world.requests.takeCredential(OPS, active.id);
    expect(sealed).not.toBeNull();
    expect(sealed).not.toContain(password);
    expect(world.vault.open(active.id, sealed!)).toBe(password);
    expect(() => world.vault.open('req_other', sealed!)).toThrow();
    expect(await world.directory.canBind(active.account!.dn!, password)).toBe(true);
    for (const kept of [world.events(), world.jobs.scheduled, world.notifier.sent, await world.request(active.id)])
      expect(JSON.stringify(kept)).not.toContain(password);
  });

  it('picks the next free username when the first is taken in the directory', async () => {
    const { person } = await world.vendorWithPerson();
    world.directory.addAccountByHand({ username: 'v-acmemain-ann-1' });
    const active = await world.active(person.id);
    expect(active.account?.username).toBe('v-acmemain-ann-2');
  });

  it('leaves alone a request whose revocation was asked, or an attempt that is not the current one', async () => {
    const { person } = await world.vendorWithPerson();
    const approved = await world.approved(person.id);
    await world.provisionerOn().provision(approved.id, approved.attempt + 1);
    expect((await world.request(approved.id)).status).toBe('approved');
    await world.requests.revoke(SUPERVISOR, approved.id, 'manual');
    await world.provisionerOn().provision(approved.id, approved.attempt);
    const after = await world.request(approved.id);
    expect(after.status).toBe('approved');
    expect(after.account).toBeUndefined();
    expect(await vendorAccounts()).toEqual([]);
  });
});
