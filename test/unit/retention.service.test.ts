import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DAY, ServiceWorld, SUPERVISOR } from '../support/service-world.js';

describe('RetentionService', () => {
  let world: ServiceWorld;
  beforeEach(() => {
    world = new ServiceWorld({ retentionDays: 30 });
  });
  afterEach(() => world.expectChainIntact());

  it('deletes a disabled account only once it has been disabled for retentionDays, and keeps the record', async () => {
    const { person } = await world.vendorWithPerson();
    const revoked = await world.active(person.id);
    const kept = await world.active(person.id, { validTo: new Date(world.clock.now().getTime() + 20 * DAY) });
    await world.requests.revoke(SUPERVISOR, revoked.id, 'manual');
    await world.revoker.revoke(revoked.id, 'manual');
    const disabledAt = Date.parse((await world.request(revoked.id)).account!.disabledAt!);
    const dn = revoked.account!.dn!;
    const purger = world.purger();

    world.clock.set(new Date(disabledAt + 30 * DAY - 1));
    expect(await purger.purge()).toEqual([]);
    expect(await world.directory.getAccount(dn)).not.toBeNull();

    world.clock.set(new Date(disabledAt + 30 * DAY));
    const mark = world.mark();
    expect(await purger.purge()).toEqual([revoked.id]);
    expect(await world.directory.getAccount(dn)).toBeNull();
    expect(await world.request(revoked.id)).toMatchObject({ status: 'revoked', account: { state: 'deleted', deletedAt: world.clock.now().toISOString() } });
    expect(world.eventsSince(mark)).toEqual([['account.deleted', `request:${revoked.id}`, 'success']]);
    expect(world.events().at(-1)!.details).toEqual({ dn, retentionDays: 30 });

    expect(await purger.purge()).toEqual([]);
    expect(world.mark()).toBe(mark + 1);
    // An account not revoked (no disabledAt) is never retention's, however old.
    expect(await world.directory.getAccount(kept.account!.dn!)).not.toBeNull();
    expect((await world.request(kept.id)).account?.state).toBe('active');
  });
});
