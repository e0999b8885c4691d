import { describe, expect, it } from 'vitest';
import { AuditValueError } from '../../../src/audit/audit-event.js';
import type { Vendor } from '../../../src/domain/types.js';
import { MemoryDomainStore } from '../../../src/store/memory/memory-domain.store.js';

describe('the in-memory store, given an audit event that is not JSON', () => {
  it('fails the unit of work and writes nothing, as the Redis store does', async () => {
    const store = new MemoryDomainStore({ now: () => new Date('2026-12-01T00:00:00Z') });
    const vendor: Vendor = {
      id: 'ven_1',
      name: 'Acme',
      contractRef: 'CT-1',
      contractEndsAt: '2027-01-01T00:00:00.000Z',
      status: 'active',
      createdAt: '2026-12-01T00:00:00.000Z',
      createdBy: 'ops',
    };
    const unit = store.run([], () =>
      Promise.resolve({
        writes: (w) => w.putVendor({ ...vendor, n: 1 }, true),
        events: [{ actor: 'ops', action: 'vendor.created', subject: 'vendor:ven_1', outcome: 'success' as const, details: { ids: new Set(['a']) } }],
        result: undefined,
      }),
    );
    await expect(unit).rejects.toBeInstanceOf(AuditValueError);
    expect(await store.getVendor('ven_1')).toBeNull();
    expect(store.events()).toEqual([]);
  });
});
