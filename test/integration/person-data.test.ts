import { beforeAll, describe, expect, inject, it } from 'vitest';
import { childDn } from '../../src/provisioner/ldap/escape.js';
import { auditedEvent, fileRequest, untilStatus } from '../support/fixtures.js';
import type { apiClient, TestService } from '../support/service-harness.js';
import { useSlapdService } from '../support/slapd-service.js';

const DAY = 86_400_000;

/** Clause 1.1.2: the Latin name a person gives makes their username, and everything held on them can be handed out. */
describe('personal data', () => {
  const f = useSlapdService('pdata');
  const group = childDn('cn', 'erp-support', inject('slapd').groupsOu);
  let svc: TestService;
  let api: ReturnType<typeof apiClient>;
  beforeAll(() => {
    ({ svc, api } = f);
  });

  async function register(vendorName: string, person: Record<string, unknown>) {
    const vendor = await api('POST', '/v1/vendors', svc.tokens.requester, {
      name: vendorName,
      contractRef: `CT-${vendorName}`,
      contractEndsAt: new Date(Date.now() + 90 * DAY).toISOString(),
    });
    expect(vendor.status, JSON.stringify(vendor.body)).toBe(201);
    const reply = await api('POST', `/v1/vendors/${vendor.body.id}/people`, svc.tokens.requester, {
      email: 'wang@acer.test',
      ndaSignedAt: new Date(Date.now() - DAY).toISOString(),
      ndaRef: 'NDA-7',
      ...person,
    });
    return { vendorId: vendor.body.id as string, reply };
  }

  it('refuses a Latin name with other scripts, digits or over 100 characters, naming the field', async () => {
    for (const latinName of ['王小明', 'Wang 2', 'x'.repeat(101), '--']) {
      const { reply } = await register('Refusals Co', { fullName: '王小明', latinName });
      expect(reply.status, latinName).toBe(400);
      expect((reply.body.error.details as { field: string }[]).map((d) => d.field)).toContain('body.latinName');
    }
  });

  it('makes the username from the Latin name, set at registration or later, and romanises a Chinese vendor name', async () => {
    const { reply } = await register('宏碁資訊', { fullName: '王小明' });
    expect(reply.status, JSON.stringify(reply.body)).toBe(201);
    const personId = reply.body.id as string;
    const updated = await api('PATCH', `/v1/people/${personId}`, svc.tokens.requester, { latinName: "Wong Siu-Ming O'Hara" });
    expect(updated.status, JSON.stringify(updated.body)).toBe(200);
    expect(updated.body.latinName).toBe("Wong Siu-Ming O'Hara");
    expect((await api('GET', `/v1/people/${personId}`, svc.tokens.auditor)).body.latinName).toBe("Wong Siu-Ming O'Hara");
    const event = await auditedEvent(svc, 'person.updated', personId);
    expect(JSON.stringify(event)).not.toContain('Wong');

    const id = await fileRequest(api, svc, personId, group);
    expect((await untilStatus(api, svc, id, 'active')).account.username).toBe('v-hongqizi-wong-1');

    const cleared = await api('PATCH', `/v1/people/${personId}`, svc.tokens.requester, { latinName: null });
    expect(cleared.status).toBe(200);
    expect(cleared.body).not.toHaveProperty('latinName');
    const second = await fileRequest(api, svc, personId, group);
    expect((await untilStatus(api, svc, second, 'active')).account.username).toBe('v-hongqizi-wangxm-1');
  });

  it('exports everything held on a person to an auditor, and audits the export without the data', async () => {
    const { vendorId, reply } = await register('Export Co', { fullName: '陳大文', latinName: 'Chen Da-Wen', phone: '+886 2 1234 5678' });
    const personId = reply.body.id as string;
    const id = await fileRequest(api, svc, personId, group);
    const username = (await untilStatus(api, svc, id, 'active')).account.username as string;
    const pending = await fileRequest(api, svc, personId, group, { approve: false });
    const at = new Date().toISOString();
    const posted = await api('POST', '/v1/session-events', svc.tokens.logSource, {
      events: [{ source: 'bastion-1', account: username, type: 'login', at, target: 'erp-app01', sourceIp: '10.0.0.7', sourceSessionId: 'pd1' }],
    });
    expect(posted.status, JSON.stringify(posted.body)).toBeLessThan(300);
    const sessionId = await (async () => {
      for (let i = 0; i < 100; i++) {
        const items = (await api('GET', `/v1/sessions?requestId=${id}`, svc.tokens.auditor)).body.items as { id: string }[];
        if (items.length > 0) return items[0]!.id;
        await new Promise((r) => setTimeout(r, 100));
      }
      throw new Error('the session never appeared');
    })();

    expect((await api('GET', `/v1/people/${personId}/export`, svc.tokens.requester)).status).toBe(403);
    expect((await api('GET', '/v1/people/per_nope/export', svc.tokens.auditor)).status).toBe(404);
    const exported = await api('GET', `/v1/people/${personId}/export`, svc.tokens.auditor);
    expect(exported.status, JSON.stringify(exported.body)).toBe(200);
    const body = exported.body;
    expect(body.person).toMatchObject({
      id: personId,
      fullName: '陳大文',
      latinName: 'Chen Da-Wen',
      email: 'wang@acer.test',
      phone: '+886 2 1234 5678',
      ndaRef: 'NDA-7',
    });
    expect(body.vendor).toEqual({ id: vendorId, name: 'Export Co' });
    expect(body.requests).toHaveLength(2);
    expect(body.requests).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ id, status: 'active', username }),
        expect.objectContaining({ id: pending, status: 'pending', username: null }),
      ]),
    );
    for (const r of body.requests as { validFrom: string; validTo: string }[]) expect(Date.parse(r.validTo)).toBeGreaterThan(Date.parse(r.validFrom));
    expect(body.accounts).toEqual([{ username, requestId: id, state: 'active' }]);
    expect(body.sessionIds).toEqual([sessionId]);
    expect((await api('GET', `/v1/people/${personId}/export`, svc.tokens.admin)).status).toBe(200);

    const event = await auditedEvent(svc, 'person.exported', personId);
    expect(event.subject).toBe(`person:${personId}`);
    const text = JSON.stringify(event);
    for (const personal of ['陳大文', 'Chen Da-Wen', 'wang@acer.test', '1234']) expect(text).not.toContain(personal);
  });
});
