import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startSlapd, type SlapdRig } from '../../tools/dev/slapd.rig.js';
import { childDn } from '../../src/provisioner/ldap/escape.js';
import { createLdapSubtree, type LdapSubtree } from '../rig/ldap-subtree.js';
import { freePort } from '../rig/ports.js';
import { startTestRedis, type TestRedis } from '../rig/redis.js';
import { probe } from '../support/directory-probe.js';
import { fileRequest, untilStatus, vendorWithPerson } from '../support/fixtures.js';
import { apiClient, eventually, serviceEnv, startTestService, type DirectoryTarget, slapdTarget } from '../support/service-harness.js';
import { spawnService, waitHealthy } from '../support/service-process.js';

describe('fault injection (real processes, real servers)', () => {
  let subtree: LdapSubtree;
  let group: string;

  beforeAll(async () => {
    subtree = await createLdapSubtree('faults');
    group = childDn('cn', 'erp-support', inject('slapd').groupsOu);
  });
  afterAll(() => subtree?.cleanup());

  it('leaves exactly one account per request when the worker is killed -9 in the middle of a batch', async () => {
    const vendorOu = await subtree.addOu('kill9');
    const port = await freePort();
    const setup = serviceEnv({
      redisUrl: inject('redisUrl'),
      directory: slapdTarget(inject('slapd'), vendorOu),
      env: { PORT: String(port), JOB_LOCK_MS: '3000', WORKER_CONCURRENCY: '4' },
    });
    const url = `http://127.0.0.1:${port}`;
    const apiProc = spawnService(setup.env, 'api');
    try {
      await waitHealthy(url, apiProc);
      const api = apiClient(url);
      const svc = { tokens: setup.tokens } as Parameters<typeof vendorWithPerson>[1];
      const { personId } = await vendorWithPerson(api, svc, 'Crash Co');
      const ids: string[] = [];
      for (let i = 0; i < 40; i++) ids.push(await fileRequest(api, svc, personId, group));

      const first = spawnService(setup.env, 'worker');
      await eventually(async () => (await probe.entriesUnder(slapdTarget(inject('slapd'), vendorOu), vendorOu)).length >= 5, 30_000, 20);
      await first.crash();
      const made = (await probe.entriesUnder(slapdTarget(inject('slapd'), vendorOu), vendorOu)).length;
      expect(made).toBeLessThan(40);

      const second = spawnService(setup.env, 'worker');
      try {
        for (const id of ids) await untilStatus(api, svc, id, 'active', 60_000);
      } finally {
        await second.stop();
      }
      const entries = await probe.entriesUnder(slapdTarget(inject('slapd'), vendorOu), vendorOu);
      expect(entries).toHaveLength(40);
      const dns = new Set<string>();
      for (const id of ids) dns.add((await api('GET', `/v1/requests/${id}`, setup.tokens.auditor)).body.account.dn.toLowerCase());
      expect(dns.size).toBe(40);
      expect(new Set(entries.map((e) => e.toLowerCase()))).toEqual(dns);
    } finally {
      await apiProc.stop();
    }
  }, 120_000);

  it('revokes shortly after the service comes back when it was down across validTo', async () => {
    const vendorOu = await subtree.addOu('down');
    const port = await freePort();
    const target = slapdTarget(inject('slapd'), vendorOu);
    const setup = serviceEnv({ redisUrl: inject('redisUrl'), directory: target, env: { PORT: String(port) } });
    const url = `http://127.0.0.1:${port}`;
    const api = apiClient(url);
    const svc = { tokens: setup.tokens } as Parameters<typeof vendorWithPerson>[1];
    let proc = spawnService(setup.env, 'all');
    await waitHealthy(url, proc);
    const { personId } = await vendorWithPerson(api, svc, 'Downtime Co');
    const id = await fileRequest(api, svc, personId, group, { validForMs: 6000 });
    const active = await untilStatus(api, svc, id, 'active');
    const password = (await api('POST', `/v1/requests/${id}/credentials`, setup.tokens.requester, {})).body.password as string;
    await proc.crash();

    // Layer 1: with nothing of ours running, the directory itself refuses the account once validTo has passed.
    const validTo = Date.parse(active.validTo);
    await eventually(async () => !(await probe.canBind(target, active.account.dn, password)), validTo - Date.now() + 10_000);
    // pwdEndTime holds whole seconds (validTo truncated): the refusal may begin up to a second early, never later.
    expect(Date.now()).toBeGreaterThanOrEqual(validTo - 1000);

    const restartedAt = Date.now();
    proc = spawnService(setup.env, 'all');
    try {
      await waitHealthy(url, proc);
      const expired = await untilStatus(api, svc, id, 'expired', 15_000);
      expect(Date.now() - restartedAt).toBeLessThan(15_000);
      expect(expired.account.state).toBe('disabled');
      expect(await probe.groupMembers(target, group)).not.toContain(active.account.dn.toLowerCase());
    } finally {
      await proc.stop();
    }
  }, 90_000);

  it('reports the revocation overdue while slapd is down and completes it shortly after slapd returns', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'leasehold-slapd-fault-'));
    const [ldapPort, ldapsPort] = [await freePort(), await freePort()];
    const slapd: SlapdRig = await startSlapd({ dir, ldapPort, ldapsPort });
    const target: DirectoryTarget = slapdTarget(slapd, slapd.vendorsOu);
    const svc = await startTestService({ redisUrl: inject('redisUrl'), directory: target });
    const api = apiClient(svc.url);
    try {
      const { personId } = await vendorWithPerson(api, svc, 'Outage Co');
      const id = await fileRequest(api, svc, personId, childDn('cn', 'erp-support', slapd.groupsOu), { validForMs: 5000 });
      const active = await untilStatus(api, svc, id, 'active');
      await slapd.stop();

      // Overdue 5 s after validTo, reported by the next sweep (every second): wait for its audit event,
      // written after the gauge is set, then look at everything else it leaves.
      await eventually(
        async () => (await svc.redis.lrange(`${svc.prefix}:audit:events`, 0, -1)).some((e) => e.includes('"action":"revocation.overdue"') && e.includes(id)),
        Date.parse(active.validTo) - Date.now() + 20_000,
      );
      const during = await api('GET', `/v1/requests/${id}`, svc.tokens.auditor);
      expect(during.body.status).toBe('active'); // never marked expired before the directory confirms
      const metrics = await (await fetch(`${svc.url}/metrics`)).text();
      expect(metrics).toMatch(/leasehold_overdue_revocations [1-9]/);
      const overdue = await api('GET', '/v1/revocations/overdue', svc.tokens.auditor);
      expect(overdue.body.items.map((r: { id: string }) => r.id)).toContain(id);
      expect(await svc.redis.lrange(`${svc.prefix}:audit:events`, 0, -1)).toEqual(
        expect.arrayContaining([expect.stringContaining('"action":"revocation.overdue"')]),
      );

      await slapd.restart();
      const back = Date.now();
      const expired = await untilStatus(api, svc, id, 'expired', 15_000);
      expect(Date.now() - back).toBeLessThan(15_000);
      expect(expired.account.state).toBe('disabled');
    } finally {
      await svc.close();
      await slapd.stop();
      await rm(dir, { recursive: true, force: true });
    }
  }, 90_000);

  it('loses no pending revocation when Redis (AOF on) restarts', async () => {
    const redis: TestRedis = await startTestRedis({ appendOnly: true });
    const vendorOu = await subtree.addOu('redis');
    const target = slapdTarget(inject('slapd'), vendorOu);
    const svc = await startTestService({ redisUrl: redis.url, directory: target });
    const api = apiClient(svc.url);
    try {
      const { personId } = await vendorWithPerson(api, svc, 'Restart Co');
      const ids: string[] = [];
      for (let i = 0; i < 5; i++) ids.push(await fileRequest(api, svc, personId, group, { validForMs: 7000 }));
      for (const id of ids) await untilStatus(api, svc, id, 'active');
      await redis.restart();
      for (const id of ids) {
        const r = await untilStatus(api, svc, id, 'expired', 20_000);
        expect(r.account.state).toBe('disabled');
      }
      expect(await probe.groupMembers(target, group)).not.toEqual(expect.arrayContaining([expect.stringContaining(vendorOu.toLowerCase())]));
    } finally {
      await svc.close();
      await redis.stop();
    }
  }, 90_000);
});
