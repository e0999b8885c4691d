import { describe, expect, it } from 'vitest';
import { OVERDUE_AFTER_MS, overdueCutoff, overdueRequestIds } from '../../src/domain/overdue.js';
import { MemoryDomainStore } from '../../src/store/memory/memory-domain.store.js';
import { FakeClock } from '../support/fake-clock.js';
import { changeRequest, seedRequest } from '../support/store-records.js';

describe('overdue revocation', () => {
  const clock = new FakeClock();
  const t0 = clock.now();
  const at = (offsetMs: number) => new Date(t0.getTime() + offsetMs);

  it('is overdue 5 s after it fell due, not a millisecond sooner', () => {
    expect(OVERDUE_AFTER_MS).toBe(5000);
    expect(overdueCutoff(at(5000))).toBe(t0.getTime());
  });

  it('counts live requests past validTo and asked-for revocations, each once, until they are confirmed ended', async () => {
    const store = new MemoryDomainStore({ now: clock.now });
    const expired = await seedRequest(store, t0, { status: 'active', validTo: t0.toISOString() });
    const asked = await seedRequest(store, t0, { status: 'active', revocation: { trigger: 'manual', by: 'sup-bob', requestedAt: at(1000).toISOString() } });
    const both = await seedRequest(store, t0, {
      status: 'provisioning',
      validTo: t0.toISOString(),
      revocation: { trigger: 'departure', by: 'ops-alice', requestedAt: t0.toISOString() },
    });
    await seedRequest(store, t0, { status: 'active' }); // validTo a day on, nothing asked
    await seedRequest(store, t0, { status: 'expired', validTo: t0.toISOString() }); // confirmed: not live

    expect(await overdueRequestIds(store, at(4999), 100)).toEqual([]);
    // Requests due at the same instant come back in id order, which is random: compare as sets.
    const overdueAt = async (ms: number) => new Set(await overdueRequestIds(store, at(ms), 100));
    expect(await overdueAt(5000)).toEqual(new Set([expired.id, both.id]));
    expect(await overdueAt(6000)).toEqual(new Set([expired.id, both.id, asked.id]));
    expect((await overdueRequestIds(store, at(6000), 100)).length).toBe(3);
    await changeRequest(store, expired.id, { status: 'expired' });
    await changeRequest(store, asked.id, { status: 'revoked' });
    expect(await overdueRequestIds(store, at(6000), 100)).toEqual([both.id]);
  });
});
