import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiClient, eventually, startTestService, type DirectoryTarget, type TestService } from './service-harness.js';
import { probe } from './directory-probe.js';

export interface LifecycleContext {
  redisUrl: string;
  /** A directory target whose vendorOu is this suite's own, empty container. */
  target: DirectoryTarget;
  /** An ordinary, grantable group. */
  groupDn: string;
}

/**
 * The end-to-end path over HTTP against a real directory: vendor, person,
 * request, approval, account, one-time password, bind, expiry.
 */
export function lifecycleSuite(name: string, setup: () => Promise<LifecycleContext>, cleanup: () => Promise<void> = () => Promise.resolve()) {
  describe(`the request lifecycle on ${name}`, () => {
    let ctx: LifecycleContext;
    let svc: TestService;
    let api: ReturnType<typeof apiClient>;

    beforeAll(async () => {
      ctx = await setup();
      svc = await startTestService({ redisUrl: ctx.redisUrl, directory: ctx.target });
      api = apiClient(svc.url);
    });
    afterAll(async () => {
      await svc?.close();
      await cleanup();
    });

    it('gives an approved vendor person a working account and takes it away at validTo', async () => {
      const t = svc.tokens;
      const vendor = await api('POST', '/v1/vendors', t.requester, {
        name: 'Acme Systems',
        contractRef: 'CT-2026-01',
        contractEndsAt: new Date(Date.now() + 90 * 86_400_000).toISOString(),
      });
      expect(vendor.status).toBe(201);
      const person = await api('POST', `/v1/vendors/${vendor.body.id}/people`, t.requester, {
        fullName: 'Chen Wei',
        email: 'chen@acme.test',
        ndaSignedAt: new Date(Date.now() - 86_400_000).toISOString(),
        ndaRef: 'NDA-77',
      });
      expect(person.status).toBe(201);

      const validTo = new Date(Date.now() + 12_000);
      const filed = await api('POST', '/v1/requests', t.requester, {
        personId: person.body.id,
        workDescription: 'ERP patching',
        targetSystems: ['erp-app01'],
        groups: [ctx.groupDn],
        validFrom: new Date(Date.now() - 60_000).toISOString(),
        validTo: validTo.toISOString(),
      });
      expect(filed.status).toBe(201);
      expect(filed.body.status).toBe('pending');
      const id = filed.body.id as string;

      expect((await api('POST', `/v1/requests/${id}/approve`, t.requester, {})).status).toBe(403);
      const approved = await api('POST', `/v1/requests/${id}/approve`, t.approver, { comment: 'ok for the maintenance window' });
      expect(approved.status).toBe(200);
      expect((await api('POST', `/v1/requests/${id}/approve`, t.approver, {})).status).toBe(409);

      const active = await eventually(async () => {
        const r = await api('GET', `/v1/requests/${id}`, t.auditor);
        return r.body.status === 'active' ? r.body : null;
      });
      expect(active.account.state).toBe('active');
      const dn = active.account.dn as string;

      expect((await api('POST', `/v1/requests/${id}/credentials`, t.requester2, {})).status).toBe(403);
      const cred = await api('POST', `/v1/requests/${id}/credentials`, t.requester, {});
      expect(cred.status).toBe(200);
      expect(cred.body.username).toBe(active.account.username);
      const password = cred.body.password as string;
      expect(password.length).toBeGreaterThanOrEqual(20);
      expect((await api('POST', `/v1/requests/${id}/credentials`, t.requester, {})).status).toBe(410);

      expect(await probe.canBind(ctx.target, dn, password)).toBe(true);
      expect(await probe.groupMembers(ctx.target, ctx.groupDn)).toContain(dn.toLowerCase());

      const expired = await eventually(async () => {
        const r = await api('GET', `/v1/requests/${id}`, t.auditor);
        return r.body.status === 'expired' ? r.body : null;
      }, 30_000);
      expect(Date.now()).toBeGreaterThanOrEqual(validTo.getTime());
      expect(expired.account.state).toBe('disabled');
      expect(await probe.canBind(ctx.target, dn, password)).toBe(false);
      expect(await probe.groupMembers(ctx.target, ctx.groupDn)).not.toContain(dn.toLowerCase());
      const actions = (expired.history as { action: string }[]).map((h) => h.action);
      expect(actions).toEqual(
        expect.arrayContaining(['filed', 'status.approved', 'status.provisioning', 'status.active', 'credential.retrieved', 'status.expired']),
      );
    });
  });
}
