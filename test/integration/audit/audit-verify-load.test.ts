import { describe, expect, it } from 'vitest';
import type { AuditEvent } from '../../../src/audit/audit-event.js';
import { RedisKeys } from '../../../src/store/redis-keys.js';
import { Transactor } from '../../../src/store/transactor.js';
import { sampleEvent } from '../../support/audit-rig.js';
import { eventually } from '../../support/service-harness.js';
import { useSlapdService } from '../../support/slapd-service.js';

interface Verdict {
  ok: boolean;
  firstBadSeq?: number;
  reason?: string;
  mirror: { ok: boolean; behindBy?: number; reason?: string };
}

describe('verifying the mirror while events are written', () => {
  const f = useSlapdService('audit-load');

  it('raises no false alarm in 30 verifications against a busy trail', async () => {
    const auditor = f.svc.tokens.auditor;
    // A trail of some size (about 2 MB), so that reading the file takes many reads while the writer appends.
    const redis = f.svc.redis.duplicate();
    try {
      const tx = new Transactor(redis, new RedisKeys(f.svc.prefix), () => new Date());
      for (let i = 0; i < 40; i++)
        await tx.run([], () =>
          Promise.resolve({ events: Array.from({ length: 50 }, (_, j) => sampleEvent(i * 50 + j, { details: { note: 'x'.repeat(800) } })), result: undefined }),
        );
    } finally {
      redis.disconnect();
    }
    await eventually(() => Promise.resolve((f.svc.auditMirror.status().lastSeq ?? 0) >= 2000));
    let appending = true;
    let appended = 0;
    // Four clients keep committing audit events (each vendor registered is one) while the auditor verifies.
    const contractEndsAt = new Date(Date.now() + 90 * 86_400_000).toISOString();
    const writers = Array.from({ length: 4 }, async (_, w) => {
      while (appending) {
        const created = await f.api('POST', '/v1/vendors', f.svc.tokens.requester, {
          name: `Load ${w}-${appended}`,
          contractRef: `CT-${w}-${appended}`,
          contractEndsAt,
        });
        expect(created.status).toBe(201);
        appended++;
      }
    });
    const verdicts: Verdict[] = [];
    try {
      for (let i = 0; i < 30; i++) verdicts.push((await f.api<Verdict>('GET', '/v1/audit/verify?mirror=true', auditor)).body);
    } finally {
      appending = false;
      await Promise.all(writers);
    }
    expect(appended).toBeGreaterThan(30);
    expect(verdicts.filter((v) => !v.ok)).toEqual([]);
    for (const v of verdicts) expect(v.mirror).toMatchObject({ ok: true, behindBy: expect.any(Number) });
    const alarms = (await f.api<{ items: AuditEvent[] }>('GET', '/v1/audit?action=audit.verify_failed', auditor)).body.items;
    expect(alarms).toEqual([]);
  });
});
