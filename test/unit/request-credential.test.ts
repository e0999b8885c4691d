import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RequestService } from '../../src/domain/request.service.js';
import { Conflict, Forbidden, Gone } from '../../src/errors.js';
import { OPS, rejection, ServiceWorld, SUPERVISOR } from '../support/service-world.js';

describe('the initial password', () => {
  let world: ServiceWorld;
  beforeEach(() => {
    world = new ServiceWorld();
  });
  afterEach(() => world.expectChainIntact());

  it('is fetched once, only by the requester; the next fetch is 410 and every refusal is audited', async () => {
    const { person } = await world.vendorWithPerson();
    const active = await world.active(person.id);
    expect(active.credential).toBe('available');
    const mark = world.mark();

    const stranger = await rejection(world.requests.takeCredential(SUPERVISOR, active.id));
    expect(stranger).toBeInstanceOf(Forbidden);
    expect((stranger as Forbidden).status).toBe(403);
    expect(await world.sealedCredential(active.id)).not.toBeNull();

    const password = await world.requests.takeCredential(OPS, active.id);
    expect(await world.directory.canBind(active.account!.dn!, password)).toBe(true);
    expect(await world.sealedCredential(active.id)).toBeNull();
    expect(await world.request(active.id)).toMatchObject({
      credential: 'retrieved',
      history: expect.arrayContaining([expect.objectContaining({ action: 'credential.retrieved', actor: OPS })]),
    });

    const again = await rejection(world.requests.takeCredential(OPS, active.id));
    expect(again).toBeInstanceOf(Gone);
    expect((again as Gone).status).toBe(410);

    expect(world.eventsSince(mark)).toEqual([
      ['credential.retrieve', `request:${active.id}`, 'refused'],
      ['credential.retrieved', `request:${active.id}`, 'success'],
      ['credential.retrieve', `request:${active.id}`, 'refused'],
    ]);
    expect(world.events()[mark]!.details).toEqual({ rule: 'requester_only' });
    expect(JSON.stringify(world.events())).not.toContain(password);
  });

  it('is not there before the account is made (409, audited) and is destroyed by a revocation', async () => {
    const { person } = await world.vendorWithPerson();
    const approved = await world.approved(person.id);
    const early = await rejection(world.requests.takeCredential(OPS, approved.id));
    expect(early).toBeInstanceOf(Conflict);
    expect(world.events().at(-1)).toMatchObject({ action: 'credential.retrieve', outcome: 'refused' });

    await world.provisionerOn().provision(approved.id, approved.attempt);
    expect(await world.sealedCredential(approved.id)).not.toBeNull();
    await world.requests.revoke(SUPERVISOR, approved.id, 'manual');
    await world.revoker.revoke(approved.id, 'manual');
    expect(await world.sealedCredential(approved.id)).toBeNull();
    expect((await world.request(approved.id)).credential).toBe('none');
    expect(await rejection(world.requests.takeCredential(OPS, approved.id))).toBeInstanceOf(Conflict);
  });

  it('goes to one of two fetches racing from two processes, never to both', async () => {
    const { person } = await world.vendorWithPerson();
    const active = await world.active(person.id);
    const otherProcess = new RequestService({
      store: world.store.peer(),
      policy: world.requestPolicy,
      jobs: world.jobs,
      vault: world.vault,
      now: world.clock.now,
    });
    const results = await Promise.allSettled([world.requests.takeCredential(OPS, active.id), otherProcess.takeCredential(OPS, active.id)]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const refused = results.find((r) => r.status === 'rejected');
    expect((refused as PromiseRejectedResult).reason).toBeInstanceOf(Gone);
    expect(world.events().filter((e) => e.action === 'credential.retrieved')).toHaveLength(1);
  });
});
