import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { childDn } from '../../src/provisioner/ldap/escape.js';
import { RedisKeys } from '../../src/store/redis-keys.js';
import { Transactor } from '../../src/store/transactor.js';
import { createLdapSubtree, type LdapSubtree } from '../rig/ldap-subtree.js';
import { startSentinelRig, type SentinelRig } from '../rig/sentinel.js';
import { probe } from '../support/directory-probe.js';
import { untilStatus, vendorWithPerson } from '../support/fixtures.js';
import { apiClient, eventually, slapdTarget, startTestService, type ApiReply, type TestService } from '../support/service-harness.js';

/**
 * Issue 13, item 4: the control-plane Redis behind Sentinel. One primary, one
 * replica, three real Sentinels; the service provisions and expires accounts
 * while the primary is SIGKILLed and the replica promoted.
 */
describe('Redis Sentinel failover', () => {
  let subtree: LdapSubtree;
  let rig: SentinelRig;
  let svc: TestService | undefined;

  beforeAll(async () => {
    subtree = await createLdapSubtree('sentinel');
    rig = await startSentinelRig();
  });
  afterAll(async () => {
    await svc?.close();
    await rig?.stop();
    await subtree?.cleanup();
  });

  it('confirms a commit once the replica holds it, and stops waiting for a while when no replica answers', async () => {
    const primary = new Redis(`redis://127.0.0.1:${await rig.primaryPort()}`);
    const alone = new Redis(inject('redisUrl'));
    try {
      const keys = new RedisKeys(`t${randomBytes(5).toString('hex')}`);
      const short: number[] = [];
      const replicated = new Transactor(primary, keys, () => new Date(), { replicas: 1, timeoutMs: 1000, onShort: (n) => short.push(n) });
      await replicated.append({ actor: 'test', action: 'test.replicated', subject: 'test:1', outcome: 'success' });
      expect(short).toEqual([]);

      // The run's own Redis has no replica: the first commit waits its second and is reported, the next do not wait.
      const unreplicated = new Transactor(alone, keys, () => new Date(), { replicas: 1, timeoutMs: 300, onShort: (n) => short.push(n) });
      await unreplicated.append({ actor: 'test', action: 'test.alone', subject: 'test:2', outcome: 'success' });
      const started = Date.now();
      for (let i = 0; i < 5; i++) await unreplicated.append({ actor: 'test', action: 'test.alone', subject: 'test:3', outcome: 'success' });
      expect(Date.now() - started).toBeLessThan(300);
      expect(short).toEqual([0]);
      expect(await alone.llen(keys.auditEvents())).toBe(6);
    } finally {
      primary.disconnect();
      alone.disconnect();
    }
  });

  it('loses no approval, provisions each request once, revokes every account due and keeps the audit chain whole', async () => {
    const vendorOu = await subtree.addOu('failover');
    const target = slapdTarget(inject('slapd'), vendorOu);
    const group = childDn('cn', 'erp-support', inject('slapd').groupsOu);
    svc = await startTestService({
      // With Sentinels the URL gives only credentials and database: its host and port are never dialled.
      redisUrl: 'redis://127.0.0.1:1',
      directory: target,
      env: {
        REDIS_SENTINELS: rig.sentinels.map((s) => `${s.host}:${s.port}`).join(','),
        REDIS_SENTINEL_MASTER: rig.master,
        JOB_LOCK_MS: '3000',
      },
    });
    const api = apiClient(svc.url);
    const tokens = svc.tokens;
    // During the failover the API answers 503 (Redis not ready) or the call fails: ask again, as a client would.
    let longestOutageMs = 0;
    const persist = async (call: () => Promise<ApiReply>): Promise<ApiReply> => {
      const started = Date.now();
      for (;;) {
        const reply = await call().catch((err: Error) => ({ status: 599, body: err.message }));
        if (reply.status < 500 || Date.now() > started + 45_000) {
          if (reply.status < 500) longestOutageMs = Math.max(longestOutageMs, Date.now() - started);
          return reply;
        }
        await new Promise((r) => setTimeout(r, 200));
      }
    };
    const { personId } = await vendorWithPerson(api, svc, 'Failover Co');

    const approved: string[] = [];
    let killed: Promise<number> | undefined;
    for (let i = 0; i < 24; i++) {
      if (i === 8) killed = rig.killPrimary();
      const filed = await persist(() =>
        api('POST', '/v1/requests', tokens.requester, {
          personId,
          workDescription: `failover ${i}`,
          targetSystems: ['erp'],
          groups: [group],
          validFrom: new Date(Date.now() - 60_000).toISOString(),
          validTo: new Date(Date.now() + 25_000).toISOString(),
        }),
      );
      expect(filed.status, JSON.stringify(filed.body)).toBe(201);
      const approval = await persist(() => api('POST', `/v1/requests/${filed.body.id}/approve`, tokens.approver, {}));
      // 409 only when an earlier try was applied but its answer lost: the request must then show the approval.
      if (approval.status === 409) expect((await api('GET', `/v1/requests/${filed.body.id}`, tokens.auditor)).body.approval).toBeDefined();
      else expect(approval.status, JSON.stringify(approval.body)).toBe(200);
      approved.push(filed.body.id as string);
    }
    const oldPrimary = await killed!;
    expect(await rig.promoted(oldPrimary)).not.toBe(oldPrimary);
    // For the README's failover figure: the longest a filing or an approval waited on the failover.
    console.info(`sentinel failover: longest API wait ${longestOutageMs} ms`);

    // Nothing approved is lost: every request reaches active (one account each) and then expires on time.
    const accounts = new Map<string, string>();
    for (const id of approved) {
      const active = await untilStatus(api, svc, id, 'active', 60_000).catch(async () => (await api('GET', `/v1/requests/${id}`, tokens.auditor)).body);
      expect(active.account?.dn, `request ${id} never got its account (status ${active.status})`).toBeDefined();
      accounts.set(id, (active.account.dn as string).toLowerCase());
    }
    for (const id of approved) {
      const validTo = Date.parse((await api('GET', `/v1/requests/${id}`, tokens.auditor)).body.validTo);
      const expired = await untilStatus(api, svc, id, 'expired', Math.max(0, validTo - Date.now()) + 20_000);
      expect(expired.account.state).toBe('disabled');
      const revokedAt = (expired.history as { at: string; to?: string }[]).find((h) => h.to === 'expired')!.at;
      expect(Date.parse(revokedAt) - validTo).toBeLessThan(15_000);
    }

    // Provisioned once: one entry per request in the vendor container, each its request's own.
    const entries = (await probe.entriesUnder(target, vendorOu)).map((e) => e.toLowerCase());
    expect(entries).toHaveLength(approved.length);
    expect(new Set(entries)).toEqual(new Set(accounts.values()));
    const members = await probe.groupMembers(target, group);
    for (const dn of accounts.values()) expect(members).not.toContain(dn);

    // The chain the new primary holds verifies.
    await eventually(async () => (await api('GET', '/v1/audit/verify', tokens.auditor)).status === 200, 10_000);
    const verify = await api('GET', '/v1/audit/verify', tokens.auditor);
    expect(verify.body.ok, JSON.stringify(verify.body)).toBe(true);
  }, 180_000);
});
