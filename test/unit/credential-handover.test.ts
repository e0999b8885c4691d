import { afterEach, describe, expect, it } from 'vitest';
import { CredentialHandoverService, PICKUP_MAX_ATTEMPTS, type HandoverTicket } from '../../src/domain/credential-handover.service.js';
import { Conflict, Forbidden, Gone, NotFound } from '../../src/errors.js';
import { OPS, rejection, ServiceWorld, SUPERVISOR } from '../support/service-world.js';

const ORIGIN = { ip: '192.0.2.7', requestId: 'http-1' };

/** The token at the end of a pickup URL. */
function tokenOf(ticket: HandoverTicket): string {
  return ticket.pickupUrl.split('/pickup/')[1]!;
}

/** A code that is not the ticket's. */
function wrongCode(ticket: HandoverTicket): string {
  return String((Number(ticket.code) + 1) % 100_000_000).padStart(8, '0');
}

describe('handover of the initial password to the vendor person', () => {
  let world: ServiceWorld;
  afterEach(() => world.expectChainIntact());

  async function activeWithHandover(policy = {}) {
    world = new ServiceWorld({ credentials: { handover: 'vendor', pickupHours: 24, mustChangeAtFirstLogon: true }, ...policy });
    const { person } = await world.vendorWithPerson();
    const active = await world.active(person.id);
    const handover = world.handoverService();
    return { active, handover, ticket: await handover.issue(OPS, active.id) };
  }

  it('gives a link under the public URL with a 256-bit secret and an 8-digit code, and stores neither', async () => {
    const { active, ticket } = await activeWithHandover();
    expect(ticket.pickupUrl).toMatch(/^https:\/\/leasehold\.school\.test\/pickup\/req_[0-9a-z]+\.[A-Za-z0-9_-]{43}$/);
    expect(ticket.code).toMatch(/^\d{8}$/);
    expect(Date.parse(ticket.expiresAt) - world.clock.now().getTime()).toBe(24 * 3_600_000);
    const stored = JSON.stringify(await world.request(active.id));
    const secret = tokenOf(ticket).split('.')[1]!;
    expect(stored).not.toContain(secret);
    expect(stored).not.toContain(ticket.code);
    expect(JSON.stringify(world.events())).not.toContain(secret);
    expect(JSON.stringify(world.events())).not.toContain(ticket.code);
    expect(world.events().at(-1)).toMatchObject({ action: 'credential.handover.issued', actor: OPS, outcome: 'success' });
  });

  it('hands the password over once, with the right code; the requester never gets it and a second pickup is 410', async () => {
    const { active, handover, ticket } = await activeWithHandover();
    const refused = await rejection(world.requests.takeCredential(OPS, active.id));
    expect(refused).toBeInstanceOf(Conflict);
    expect((refused as Conflict).details[0]).toMatchObject({ rule: 'handover_vendor' });

    expect(await handover.status(tokenOf(ticket))).toEqual({ valid: true, expiresAt: ticket.expiresAt, attemptsLeft: PICKUP_MAX_ATTEMPTS });
    const picked = await handover.pickUp(tokenOf(ticket), ticket.code, ORIGIN);
    expect(picked.username).toBe(active.account!.username);
    expect(picked.mustChangeAtFirstLogon).toBe(true);
    expect(await world.directory.canBind(active.account!.dn!, picked.password)).toBe(true);
    expect(await world.sealedCredential(active.id)).toBeNull();
    expect(await world.request(active.id)).toMatchObject({ credential: 'retrieved', handover: { usedAt: expect.any(String) } });

    const again = await rejection(handover.pickUp(tokenOf(ticket), ticket.code, ORIGIN));
    expect(again).toBeInstanceOf(Gone);
    expect((again as Gone).details[0]).toMatchObject({ rule: 'pickup_used' });
    expect(await handover.status(tokenOf(ticket))).toMatchObject({ valid: false, reason: 'used' });
    expect(await rejection(world.requests.takeCredential(OPS, active.id))).toBeInstanceOf(Conflict);
    expect(JSON.stringify(world.events())).not.toContain(picked.password);
    expect(
      world
        .events()
        .filter((e) => e.action.startsWith('credential.'))
        .map((e) => [e.action, e.outcome]),
    ).toEqual([
      ['credential.handover.issued', 'success'],
      ['credential.retrieve', 'refused'],
      ['credential.pickup.succeeded', 'success'],
      ['credential.pickup.failed', 'refused'],
      ['credential.retrieve', 'refused'],
    ]);
  });

  it('is issued only to the request’s requester, and only while a password waits', async () => {
    const { active, handover } = await activeWithHandover();
    expect(await rejection(handover.issue(SUPERVISOR, active.id))).toBeInstanceOf(Forbidden);
    expect(world.events().at(-1)).toMatchObject({ action: 'credential.handover', outcome: 'refused', details: { rule: 'requester_only' } });
    expect(await rejection(handover.issue(OPS, 'req_nothere'))).toBeInstanceOf(NotFound);

    const { person } = await world.vendorWithPerson();
    const approved = await world.approved(person.id);
    const early = await rejection(handover.issue(OPS, approved.id));
    expect(early).toBeInstanceOf(Conflict);
    expect((early as Conflict).details[0]).toMatchObject({ rule: 'credential_available' });
  });

  it('expires after pickupHours', async () => {
    const { handover, ticket } = await activeWithHandover();
    world.clock.advance(24 * 3_600_000 - 1);
    expect((await handover.status(tokenOf(ticket))).valid).toBe(true);
    world.clock.advance(1);
    expect(await handover.status(tokenOf(ticket))).toMatchObject({ valid: false, reason: 'expired' });
    const late = await rejection(handover.pickUp(tokenOf(ticket), ticket.code, ORIGIN));
    expect(late).toBeInstanceOf(Gone);
    expect((late as Gone).details[0]).toMatchObject({ rule: 'pickup_expired' });
  });

  it('burns the link at the fifth wrong code, counting down before; the right code then no longer works', async () => {
    const { active, handover, ticket } = await activeWithHandover();
    for (let left = PICKUP_MAX_ATTEMPTS - 1; left > 0; left--) {
      const wrong = await rejection(handover.pickUp(tokenOf(ticket), wrongCode(ticket), ORIGIN));
      expect(wrong).toBeInstanceOf(Forbidden);
      expect((wrong as Forbidden).details[0]).toMatchObject({ rule: 'pickup_code', attemptsLeft: left });
      expect((await handover.status(tokenOf(ticket))).attemptsLeft).toBe(left);
    }
    const last = await rejection(handover.pickUp(tokenOf(ticket), wrongCode(ticket), ORIGIN));
    expect(last).toBeInstanceOf(Gone);
    expect((last as Gone).details[0]).toMatchObject({ rule: 'pickup_burned' });
    expect(await rejection(handover.pickUp(tokenOf(ticket), ticket.code, ORIGIN))).toBeInstanceOf(Gone);
    expect(await world.sealedCredential(active.id)).not.toBeNull();
    expect(world.events().filter((e) => e.action === 'credential.pickup.burned')).toHaveLength(1);

    // A new handover starts over with a fresh link.
    const fresh = await handover.issue(OPS, active.id);
    expect((await handover.pickUp(tokenOf(fresh), fresh.code, ORIGIN)).password).toBeTruthy();
  });

  it('invalidates the previous link when a new handover is issued', async () => {
    const { handover, ticket } = await activeWithHandover();
    const second = await handover.issue(OPS, ticket.pickupUrl.split('/pickup/')[1]!.split('.')[0]!);
    expect(second.pickupUrl).not.toBe(ticket.pickupUrl);
    expect(await handover.status(tokenOf(ticket))).toMatchObject({ valid: false, reason: 'unknown' });
    const old = await rejection(handover.pickUp(tokenOf(ticket), ticket.code, ORIGIN));
    expect(old).toBeInstanceOf(NotFound);
    expect(world.events().at(-1)).toMatchObject({ action: 'credential.pickup.failed', details: { reason: 'unknown_link' } });
    expect((await handover.pickUp(tokenOf(second), second.code, ORIGIN)).password).toBeTruthy();
  });

  it('refuses a forged or malformed token without touching the pickup', async () => {
    const { active, handover, ticket } = await activeWithHandover();
    const forged = `${active.id}.${'A'.repeat(43)}`;
    expect(await rejection(handover.pickUp(forged, ticket.code, ORIGIN))).toBeInstanceOf(NotFound);
    expect(await rejection(handover.pickUp('nonsense', ticket.code, ORIGIN))).toBeInstanceOf(NotFound);
    expect((await world.request(active.id)).handover!.failedAttempts).toBe(0);
    expect((await handover.status(tokenOf(ticket))).valid).toBe(true);
  });

  it('stops working once the access is revoked', async () => {
    const { active, handover, ticket } = await activeWithHandover();
    await world.requests.revoke(SUPERVISOR, active.id, 'manual');
    await world.revoker.revoke(active.id, 'manual');
    expect(await handover.status(tokenOf(ticket))).toMatchObject({ valid: false, reason: 'unavailable' });
    expect(await rejection(handover.pickUp(tokenOf(ticket), ticket.code, ORIGIN))).toBeInstanceOf(Gone);
  });

  it('goes to one of two pickups racing from two processes, never to both', async () => {
    const { handover, ticket } = await activeWithHandover();
    const other = new CredentialHandoverService({
      store: world.store.peer(),
      vault: world.vault,
      pickupHours: 24,
      mustChangeAtFirstLogon: true,
      publicUrl: () => 'x',
      now: world.clock.now,
    });
    const results = await Promise.allSettled([handover.pickUp(tokenOf(ticket), ticket.code, ORIGIN), other.pickUp(tokenOf(ticket), ticket.code, ORIGIN)]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    expect(world.events().filter((e) => e.action === 'credential.pickup.succeeded')).toHaveLength(1);
  });

  it('with handover requester, still lets the requester fetch the password until a handover is issued', async () => {
    world = new ServiceWorld();
    const { person } = await world.vendorWithPerson();
    const first = await world.active(person.id);
    expect(await world.requests.takeCredential(OPS, first.id)).toBeTruthy();
    const second = await world.active((await world.vendorWithPerson()).person.id);
    await world.handoverService().issue(OPS, second.id);
    const refused = await rejection(world.requests.takeCredential(OPS, second.id));
    expect((refused as Conflict).details[0]).toMatchObject({ rule: 'handover_vendor' });
  });

  it('asks the directory for a password change at the first logon unless the policy says not to', async () => {
    const { active } = await activeWithHandover();
    expect(world.directory.mustChangePassword(active.account!.dn!)).toBe(true);
    const relaxed = new ServiceWorld({ credentials: { handover: 'requester', pickupHours: 24, mustChangeAtFirstLogon: false } });
    const other = await relaxed.active((await relaxed.vendorWithPerson()).person.id);
    expect(relaxed.directory.mustChangePassword(other.account!.dn!)).toBe(false);
    relaxed.expectChainIntact();
  });
});
