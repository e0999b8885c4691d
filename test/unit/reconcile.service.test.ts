import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { DirectoryPort } from '../../src/domain/ports/directory.port.js';
import { ReconcileService } from '../../src/provisioner/reconcile.service.js';
import { crashingDirectory, SimulatedCrash } from '../support/crashing-directory.js';
import { DAY, GROUPS, ServiceWorld } from '../support/service-world.js';
import { interceptDirectory } from '../support/intercept-directory.js';

describe('ReconcileService', () => {
  let world: ServiceWorld;
  beforeEach(() => {
    world = new ServiceWorld();
  });
  afterEach(() => world.expectChainIntact());

  const reconcilerOn = (directory: DirectoryPort = world.directory): ReconcileService =>
    new ReconcileService({ store: world.store, directory, logger: world.logger, now: world.clock.now });

  it('strips every group of a disabled account without a request, and audits the finding before the change', async () => {
    const dn = world.directory.addAccountByHand({ username: 'halfdone', enabled: false, groups: [GROUPS.erp, GROUPS.printers] });
    const mark = world.mark();
    const report = await reconcilerOn().reconcile();
    expect(report.orphansDisabled).toEqual([dn]);
    expect(await world.directory.getAccount(dn)).toMatchObject({ enabled: false, groups: [] });
    expect(world.eventsSince(mark)).toEqual([
      ['reconcile.orphan_found', `account:${dn}`, 'warning'],
      ['reconcile.orphan_disabled', `account:${dn}`, 'warning'],
    ]);
    expect(world.events().at(-1)!.details).toMatchObject({ dn, wasEnabled: false, removedGroups: [GROUPS.erp, GROUPS.printers] });
  });

  it("leaves alone a disabled account in no group, and a live request's account", async () => {
    world.directory.addAccountByHand({ username: 'retained', enabled: false });
    const { person } = await world.vendorWithPerson();
    const active = await world.active(person.id);
    const mark = world.mark();
    const report = await reconcilerOn().reconcile();
    expect(report).toMatchObject({ scanned: 2, orphansDisabled: [], corrected: [], driftRemoved: [] });
    expect(world.mark()).toBe(mark);
    expect((await world.directory.getAccount(active.account!.dn!))?.enabled).toBe(true);
  });

  it('finishes on the next pass what a pass that died after disabling left, auditing it again', async () => {
    const dn = world.directory.addAccountByHand({ username: 'backdoor', password: 'Sesame-0pen', groups: [GROUPS.printers] });
    const mark = world.mark();
    // The worker dies once the account is disabled, before its groups are stripped.
    await expect(reconcilerOn(crashingDirectory(world.directory, { method: 'removeFromGroups', when: 'before' })).reconcile()).rejects.toBeInstanceOf(
      SimulatedCrash,
    );
    expect(await world.directory.getAccount(dn)).toMatchObject({ enabled: false, groups: [GROUPS.printers] });
    // What it found is in the trail although it never got to say it was done.
    expect(world.eventsSince(mark)).toEqual([['reconcile.orphan_found', `account:${dn}`, 'warning']]);

    await reconcilerOn().reconcile();
    expect(await world.directory.getAccount(dn)).toMatchObject({ enabled: false, groups: [] });
    expect(world.eventsSince(mark).map(([action]) => action)).toEqual(['reconcile.orphan_found', 'reconcile.orphan_found', 'reconcile.orphan_disabled']);
  });

  it('leaves no unaudited change when it dies between acting and recording', async () => {
    const dn = world.directory.addAccountByHand({ username: 'backdoor2', password: 'Sesame-0pen', groups: [GROUPS.printers] });
    const mark = world.mark();
    await expect(reconcilerOn(crashingDirectory(world.directory, { method: 'removeFromGroups', when: 'after' })).reconcile()).rejects.toBeInstanceOf(
      SimulatedCrash,
    );
    expect(await world.directory.getAccount(dn)).toMatchObject({ enabled: false, groups: [] });
    const [found] = world.events().slice(mark);
    expect(found).toMatchObject({ action: 'reconcile.orphan_found', details: { dn, enabled: true, groups: [GROUPS.printers] } });
  });

  it('disables and strips the account of a request that has ended in the store', async () => {
    const { person } = await world.vendorWithPerson();
    const active = await world.active(person.id);
    const dn = active.account!.dn!;
    world.clock.advance(8 * DAY); // past validTo, and no revoke job has run
    // The fake judges expiry by its clock, so the account is no longer enabled; it still holds its groups.
    const mark = world.mark();
    const report = await reconcilerOn().reconcile();
    expect(report.corrected).toEqual([dn]);
    expect(await world.directory.getAccount(dn)).toMatchObject({ enabled: false, groups: [] });
    expect(world.eventsSince(mark)).toEqual([
      ['reconcile.mismatch_found', `request:${active.id}`, 'warning'],
      ['reconcile.corrected', `request:${active.id}`, 'warning'],
    ]);
  });

  it('flags the request and audits before taking a vendor account out of a privileged group', async () => {
    const { person } = await world.vendorWithPerson();
    const active = await world.active(person.id);
    const dn = active.account!.dn!;
    await world.directory.addToGroups(dn, [GROUPS.wheel]);
    const mark = world.mark();
    await expect(reconcilerOn(crashingDirectory(world.directory, { method: 'removeFromGroups', when: 'after' })).reconcile()).rejects.toBeInstanceOf(
      SimulatedCrash,
    );
    expect(world.eventsSince(mark)).toEqual([['reconcile.drift_found', `request:${active.id}`, 'warning']]);
    expect((await world.request(active.id)).flags?.map((f) => f.kind)).toEqual(['privilege_drift']);
    expect((await world.directory.getAccount(dn))?.groups).not.toContain(GROUPS.wheel);
  });
  describe('cost of a pass', () => {
    /** The directory, counting each port call a pass makes and recording the groups whose privilege it asks. */
    function countingDirectory(directory: DirectoryPort = world.directory) {
      const calls = new Map<string, number>();
      const askedGroups: string[] = [];
      const counted = interceptDirectory(directory, ({ method, args, proceed }) => {
        calls.set(method, (calls.get(method) ?? 0) + 1);
        if (method === 'privilegedGroupsOf') askedGroups.push(...(args[0] as string[]));
        return proceed();
      });
      return { counted, calls, askedGroups };
    }

    it('reads the directory once per listing and once per distinct group, not once per account', async () => {
      const { person } = await world.vendorWithPerson();
      const active = await world.active(person.id);
      // An ordinary-looking group nested in wheel: its members are privileged through it.
      const opsTools = 'cn=ops-tools,ou=groups,dc=fake,dc=test';
      world.directory.nestGroup(opsTools, GROUPS.wheel);
      const ordinary = [GROUPS.erp, GROUPS.reports, GROUPS.printers];
      // 1,200 accounts (more than one listing page) whose request is live, each in an ordinary group.
      for (let i = 0; i < 1200; i++) world.directory.addAccountByHand({ username: `bulk-${i}`, requestId: active.id, groups: [ordinary[i % 3]!] });
      const drifted = [0, 1].map((i) => world.directory.addAccountByHand({ username: `drift-${i}`, requestId: active.id, groups: [GROUPS.erp, opsTools] }));
      const { counted, calls, askedGroups } = countingDirectory();

      const report = await reconcilerOn(counted).reconcile();

      expect(report.scanned).toBe(1203);
      expect(report.driftRemoved.map((d) => [d.dn, d.group, d.privileged])).toEqual(drifted.map((dn) => [dn, opsTools, GROUPS.wheel]));
      expect(report.orphansDisabled).toEqual([]);
      expect(report.corrected).toEqual([]);
      // Reads: one listing, and privilege asked about each distinct group exactly once in the pass.
      expect(calls.get('listVendorAccounts')).toBe(1);
      expect([...askedGroups].sort()).toEqual([...new Set([...ordinary, ...active.groups, opsTools])].sort());
      for (const perAccount of ['privilegedMembershipsOf', 'getAccount', 'findAccount']) expect(calls.get(perAccount) ?? 0).toBe(0);
      // Writes only for what was found: the two drifted accounts leave ops-tools.
      expect(calls.get('removeFromGroups')).toBe(2);
      expect([...calls.keys()].sort()).toEqual(['listVendorAccounts', 'privilegedGroupsOf', 'removeFromGroups']);
      expect(calls.get('privilegedGroupsOf')).toBeLessThanOrEqual(3);
    });

    it('judges a primary group the listing reports (AD primaryGroupID) like a direct group, and takes the account out of it', async () => {
      const { person } = await world.vendorWithPerson();
      const active = await world.active(person.id);
      const dn = active.account!.dn!;
      // The fake has no primary groups: its listing reports wheel as this account's, as AD's listing would for primaryGroupID 512.
      const fake = world.directory;
      const withPrimary = new Proxy(fake, {
        get(target, prop, receiver) {
          if (prop !== 'listVendorAccounts') {
            const value: unknown = Reflect.get(target, prop, receiver);
            return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
          }
          return async function* () {
            for await (const a of fake.listVendorAccounts()) yield a.dn === dn ? { ...a, primaryGroup: GROUPS.wheel } : a;
          };
        },
      });
      const { counted, calls } = countingDirectory(withPrimary);
      const mark = world.mark();
      const report = await reconcilerOn(counted).reconcile();
      expect(report.driftRemoved).toEqual([{ dn, group: GROUPS.wheel, privileged: GROUPS.wheel }]);
      expect(world.eventsSince(mark)).toEqual([
        ['reconcile.drift_found', `request:${active.id}`, 'warning'],
        ['reconcile.drift_removed', `request:${active.id}`, 'warning'],
      ]);
      expect(calls.get('removeFromGroups')).toBe(1);
      expect((await world.request(active.id)).flags?.map((f) => f.kind)).toEqual(['privilege_drift']);
    });
  });
});
