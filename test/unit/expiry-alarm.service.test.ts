import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EXPIRY_SLOT_MS, expirySlot } from '../../src/domain/ports/job-scheduler.port.js';
import type { DirectoryPort } from '../../src/domain/ports/directory.port.js';
import { DirectoryError, PermanentJobError, TransientJobError } from '../../src/errors.js';
import { ExpiryAlarmService } from '../../src/provisioner/expiry-alarm.service.js';
import { jobIds } from '../../src/queues/job-registry.js';
import { capturingLogger } from '../support/log-capture.js';
import { rejection, ServiceWorld } from '../support/service-world.js';
import { interceptDirectory } from '../support/intercept-directory.js';

/**
 * The directory, except that the first `times` calls naming `dn` (whatever the
 * revocation asks first: a read, a write) fail with `error`: an outage that
 * hits one account, as a busy server or a refused write would.
 */
function failingFor(directory: DirectoryPort, dn: string, error: () => Error, times = 1): DirectoryPort {
  let left = times;
  return interceptDirectory(directory, ({ args, proceed }) => {
    if (args[0] !== dn || left <= 0) return proceed();
    left--;
    return Promise.reject(error());
  });
}

describe('expiry alarm slots', () => {
  it('puts a validTo in the slot that ends at or after it, less than 100 ms later', () => {
    expect(EXPIRY_SLOT_MS).toBe(100);
    expect(expirySlot(new Date(1_000))).toBe(10); // exactly on a slot end: that slot, so the alarm never fires early
    expect(expirySlot(new Date(1_001))).toBe(11);
    expect(expirySlot(new Date(1_099))).toBe(11);
    expect(expirySlot(new Date(1_100))).toBe(11);
    expect(expirySlot(new Date(1_101))).toBe(12);
    for (const ms of [Date.parse('2030-01-01T00:00:00.001Z'), Date.parse('2030-01-01T00:00:00.100Z'), Date.parse('2030-06-30T23:59:59.999Z')]) {
      const fires = expirySlot(new Date(ms)) * EXPIRY_SLOT_MS;
      expect(fires).toBeGreaterThanOrEqual(ms);
      expect(fires - ms).toBeLessThan(EXPIRY_SLOT_MS);
    }
  });

  it('gives two validTo in the same 100 ms one job id, and different slots different ids', () => {
    const id = (iso: string) => jobIds.expire(expirySlot(new Date(iso)));
    expect(id('2030-01-01T00:00:00.001Z')).toBe(id('2030-01-01T00:00:00.100Z'));
    expect(id('2030-01-01T00:00:00.100Z')).not.toBe(id('2030-01-01T00:00:00.101Z'));
    expect(id('2030-01-01T00:00:00.050Z')).toBe(`expire-${Date.parse('2030-01-01T00:00:00.100Z') / 100}`);
    expect(id('2030-01-01T00:00:00.050Z')).not.toContain(':'); // BullMQ refuses ':' in a custom id
  });
});

describe('ExpiryAlarmService', () => {
  let world: ServiceWorld;
  let log: ReturnType<typeof capturingLogger>;
  beforeEach(() => {
    world = new ServiceWorld();
    log = capturingLogger();
  });
  afterEach(() => world.expectChainIntact());

  const alarmOn = (directory: DirectoryPort = world.directory, concurrency = 4) =>
    new ExpiryAlarmService({ store: world.store, revoker: world.revokerOn(directory), concurrency, logger: log.logger });

  /** A slot two days ahead, and active requests whose validTo is `offsetMs` after its start. */
  async function slotWith(...offsetsMs: number[]) {
    const { person } = await world.vendorWithPerson();
    const slot = expirySlot(new Date(world.clock.now().getTime() + 2 * 86_400_000));
    const start = (slot - 1) * EXPIRY_SLOT_MS;
    const requests = [];
    for (const offset of offsetsMs) requests.push(await world.active(person.id, { validTo: new Date(start + offset) }));
    return { slot, requests };
  }

  it("revokes every request whose validTo falls in its slot, in the directory, and none of another slot's", async () => {
    const { slot, requests } = await slotWith(-1, 1, 50, 100, 101);
    const [before, ...rest] = requests;
    const inSlot = rest.slice(0, 3);
    const after = rest[3]!;
    world.clock.set(new Date(slot * EXPIRY_SLOT_MS));

    expect(await alarmOn().expire(slot)).toEqual({ tried: 3 });
    for (const r of inSlot) {
      expect(await world.request(r.id)).toMatchObject({ status: 'expired', account: { state: 'disabled' }, revocation: { trigger: 'expiry' } });
      expect(await world.directory.getAccount(r.account!.dn!)).toMatchObject({ enabled: false, groups: [] });
    }
    // The slot before is its own alarm's (and the sweeper's); the one after is not due yet. (Past its own expiry
    // the directory refuses the account by itself — layer 1 — but only a revocation strips its groups.)
    for (const r of [before!, after]) {
      expect((await world.request(r.id)).status).toBe('active');
      expect((await world.directory.getAccount(r.account!.dn!))?.groups).toEqual(r.groups);
    }
    expect(await alarmOn().expire(slot)).toEqual({ tried: 0 }); // done: nothing left in the slot
  });

  it('tries every request even when some fail, then fails naming how many, and its retry finishes them', async () => {
    const { slot, requests } = await slotWith(10, 20, 30);
    world.clock.set(new Date(slot * EXPIRY_SLOT_MS + 5));
    const dn = requests[1]!.account!.dn!;
    const busy = failingFor(world.directory, dn, () => new DirectoryError('the directory is busy', true, 51));
    const alarm = alarmOn(busy);

    const err = await rejection(alarm.expire(slot));
    expect(err).toBeInstanceOf(TransientJobError);
    expect(err.message).toBe(`1 of 3 revocations due in expiry slot ${slot} failed; the alarm retries`);
    expect((await world.request(requests[0]!.id)).status).toBe('expired');
    expect((await world.request(requests[2]!.id)).status).toBe('expired');
    expect((await world.request(requests[1]!.id)).status).toBe('active');
    expect((await world.directory.getAccount(dn))?.groups).toEqual(requests[1]!.groups);
    expect(log.entries).toContainEqual(
      expect.objectContaining({ level: 'warn', message: 'expiry alarm: revocations failed', slot, failed: 1, tried: 3, requestIds: [requests[1]!.id] }),
    );

    world.clock.advance(500); // BullMQ's backoff
    expect(await alarm.expire(slot)).toEqual({ tried: 1 });
    expect(await world.request(requests[1]!.id)).toMatchObject({ status: 'expired', account: { state: 'disabled' } });
    expect(await world.directory.getAccount(dn)).toMatchObject({ enabled: false, groups: [] });
  });

  it('fails permanently only when every failure is one retrying cannot cure', async () => {
    const { slot, requests } = await slotWith(10, 20, 30);
    world.clock.set(new Date(slot * EXPIRY_SLOT_MS));
    const refused = () => new DirectoryError('insufficient access', false, 50);
    const [a, b] = [requests[0]!.account!.dn!, requests[1]!.account!.dn!];

    const mixed = failingFor(failingFor(world.directory, a, refused), b, () => new DirectoryError('the directory is busy', true, 51));
    expect(await rejection(alarmOn(mixed).expire(slot))).toBeInstanceOf(TransientJobError);

    const err = await rejection(alarmOn(failingFor(world.directory, a, refused)).expire(slot));
    expect(err).toBeInstanceOf(PermanentJobError);
    expect(err.message).toMatch(/^1 of 2 revocations due in expiry slot \d+ failed, none can succeed by retrying$/);
    expect((await world.request(requests[0]!.id)).status).toBe('active');
    expect((await world.request(requests[1]!.id)).status).toBe('expired');
    expect((await world.request(requests[2]!.id)).status).toBe('expired');
  });

  it('reads its slot a batch at a time, past those that failed, and tries each request once, with at most `concurrency` at once', async () => {
    const slot = 42;
    const due = Array.from({ length: 2_500 }, (_, i) => `req_${String(i).padStart(5, '0')}`);
    const failing = new Set(due.filter((_, i) => i % 2 === 0)); // 1,250: more than one batch stays behind
    const left = new Set(due);
    const reads: { limit: number; after?: number; until: number }[] = [];
    const attempts = new Map<string, number>();
    let inFlight = 0;
    let peak = 0;
    const alarm = new ExpiryAlarmService({
      store: {
        dueForExpiry: (until, limit, after) => {
          reads.push({ until, limit, ...(after === undefined ? {} : { after }) });
          return Promise.resolve([...left].slice(0, limit));
        },
      },
      revoker: {
        revoke: async (id) => {
          attempts.set(id, (attempts.get(id) ?? 0) + 1);
          peak = Math.max(peak, ++inFlight);
          await new Promise((resolve) => setImmediate(resolve));
          inFlight--;
          if (failing.has(id)) throw new DirectoryError('the directory is busy', true, 51);
          left.delete(id); // a revoked request leaves the validTo index
        },
      },
      concurrency: 8,
      logger: log.logger,
    });

    const err = await rejection(alarm.expire(slot));
    expect(err.message).toBe(`1250 of 2500 revocations due in expiry slot ${slot} failed; the alarm retries`);
    expect([...attempts.keys()].sort()).toEqual(due);
    expect([...attempts.values()].every((n) => n === 1)).toBe(true);
    expect(peak).toBe(8);
    expect([...left]).toEqual([...failing]);
    expect(reads.every((r) => r.after === 4_100 && r.until === 4_200)).toBe(true);
  });
});
