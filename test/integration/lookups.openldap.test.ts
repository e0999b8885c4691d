import { randomBytes } from 'node:crypto';
import { Attribute, Change } from 'ldapts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { createLdapSubtree, type LdapSubtree } from '../rig/ldap-subtree.js';
import { apiClient, slapdTarget, startTestService, type TestService } from '../support/service-harness.js';

const DAY = 86_400_000;

/** The console's look-ups (issue 11 item 3) against the run's slapd: groups with the policy's verdict, people and vendors by name. */
describe('look-ups', () => {
  let subtree: LdapSubtree;
  let svc: TestService;
  let api: ReturnType<typeof apiClient>;
  const p = `lk${randomBytes(3).toString('hex')}`;
  const groups: Record<string, string> = {};

  beforeAll(async () => {
    subtree = await createLdapSubtree('lookups');
    groups.erp = await subtree.addGroup(`${p}-erp`);
    groups.office = await subtree.addGroup(`${p}-資訊組`);
    groups.dba = await subtree.addGroup(`dba-${p}`); // privileged by the built-in names
    groups.nested = await subtree.addGroup(`${p}-reports`);
    groups.legacy = await subtree.addGroup(`${p}-legacy-root`); // privileged by policy
    groups.outside = await subtree.addGroup(`${p}-mail`); // not in grantableGroups
    await subtree.admin.modify(groups.dba, new Change({ operation: 'add', modification: new Attribute({ type: 'member', values: [groups.nested] }) }));
    svc = await startTestService({
      redisUrl: inject('redisUrl'),
      directory: slapdTarget(inject('slapd'), subtree.dn),
      policy: { privilegedGroups: [`${p}-legacy-root`], grantableGroups: [`/^cn=${p}-(erp|資訊組|reports|legacy-root),/`, `/^cn=dba-${p},/`] },
    });
    api = apiClient(svc.url);
  });

  afterAll(async () => {
    await svc?.close();
    await subtree?.cleanup();
  });

  describe('GET /v1/groups', () => {
    it('lists the groups whose name contains q, sorted by name, each with whether a request may name it and why not', async () => {
      const r = await api('GET', `/v1/groups?q=${encodeURIComponent(p.toUpperCase())}`, svc.tokens.requester);
      expect(r.status, JSON.stringify(r.body)).toBe(200);
      const byDn = Object.fromEntries(r.body.items.map((g: { dn: string }) => [g.dn.toLowerCase(), g]));
      const get = (k: string) => byDn[groups[k]!.toLowerCase()];
      expect(r.body.items.map((g: { name: string }) => g.name)).toEqual([
        `dba-${p}`,
        `${p}-erp`,
        `${p}-legacy-root`,
        `${p}-mail`,
        `${p}-reports`,
        `${p}-資訊組`,
      ]);
      expect(get('erp')).toEqual({ dn: expect.any(String), name: `${p}-erp`, grantable: true, privileged: false, reasons: [] });
      expect(get('office')).toMatchObject({ grantable: true, privileged: false });
      expect(get('dba')).toMatchObject({ grantable: false, privileged: true, reasons: [expect.objectContaining({ rule: 'no_privileged_groups' })] });
      expect(get('nested')).toMatchObject({
        grantable: false,
        privileged: true,
        reasons: [{ rule: 'no_privileged_groups', message: expect.stringContaining('leads to privileged group') }],
      });
      expect(get('nested').privilegedGroup.toLowerCase()).toBe(groups.dba!.toLowerCase());
      expect(get('legacy')).toMatchObject({ grantable: false, privileged: true });
      expect(get('outside')).toMatchObject({ grantable: false, privileged: false, reasons: [expect.objectContaining({ rule: 'grantable_group' })] });
    });

    it('finds groups by a Chinese part of their name, honours the limit, and reads q as text only', async () => {
      const zh = await api('GET', `/v1/groups?q=${encodeURIComponent(`${p}-資訊`)}`, svc.tokens.approver);
      expect(zh.body.items.map((g: { name: string }) => g.name)).toEqual([`${p}-資訊組`]);
      expect((await api('GET', `/v1/groups?q=${p}&limit=2`, svc.tokens.auditor)).body.items).toHaveLength(2);
      expect((await api('GET', `/v1/groups?q=${encodeURIComponent(`${p}*`)}`, svc.tokens.requester)).body.items).toEqual([]);
      expect((await api('GET', `/v1/groups?q=${encodeURIComponent(')(cn=*')}`, svc.tokens.requester)).body.items).toEqual([]);
    });

    it('is for the people who file and read requests; a filing then agrees with the verdict', async () => {
      expect((await api('GET', `/v1/groups?q=${p}`, svc.tokens.logSource)).status).toBe(403);
      expect((await api('GET', `/v1/groups?q=${p}`, svc.tokens.automation)).status).toBe(403);
      expect((await api('GET', `/v1/groups?q=${p}&limit=0`, svc.tokens.requester)).status).toBe(400);
      const vendor = await api('POST', '/v1/vendors', svc.tokens.requester, {
        name: `V ${p}`,
        contractRef: 'C-1',
        contractEndsAt: new Date(Date.now() + 90 * DAY).toISOString(),
      });
      const person = await api('POST', `/v1/vendors/${vendor.body.id}/people`, svc.tokens.requester, {
        fullName: 'Lee Test',
        email: 'lee@v.test',
        ndaSignedAt: new Date(Date.now() - DAY).toISOString(),
        ndaRef: 'N-1',
      });
      const file = (group: string) =>
        api('POST', '/v1/requests', svc.tokens.requester, {
          personId: person.body.id,
          workDescription: 'ERP upgrade',
          targetSystems: ['erp'],
          groups: [group],
          validFrom: new Date().toISOString(),
          validTo: new Date(Date.now() + DAY).toISOString(),
        });
      expect((await file(groups.erp!)).status).toBe(201);
      const refused = await file(groups.nested!);
      expect(refused.status).toBe(422);
      expect(refused.body.error.details.map((d: { rule: string }) => d.rule)).toEqual(['no_privileged_groups']);
    });
  });

  describe('GET /v1/people and GET /v1/vendors', () => {
    it('find by any part of the name, in Chinese or any case, newest first, a page at a time', async () => {
      const made: Record<string, string> = {};
      for (const name of [`臺北資訊${p}股份有限公司`, `ACME ${p}`, `新竹資訊${p}服務社`]) {
        const v = await api('POST', '/v1/vendors', svc.tokens.requester, {
          name,
          contractRef: 'C-2',
          contractEndsAt: new Date(Date.now() + 90 * DAY).toISOString(),
        });
        expect(v.status).toBe(201);
        made[name] = v.body.id;
      }
      const people: string[] = [];
      for (const fullName of [`陳小明${p}`, `林美華${p}`, `陳大文${p}`]) {
        const r = await api('POST', `/v1/vendors/${made[`ACME ${p}`]}/people`, svc.tokens.requester, {
          fullName,
          email: 'x@acme.test',
          ndaSignedAt: new Date(Date.now() - DAY).toISOString(),
          ndaRef: 'N-2',
        });
        expect(r.status).toBe(201);
        people.push(r.body.id);
      }
      const q = (s: string) => encodeURIComponent(s);
      const vendors = await api('GET', `/v1/vendors?q=${q(`資訊${p}`)}`, svc.tokens.approver);
      expect(vendors.body.items.map((v: { name: string }) => v.name)).toEqual([`新竹資訊${p}服務社`, `臺北資訊${p}股份有限公司`]);
      expect((await api('GET', `/v1/vendors?q=${q(`acme ${p.toUpperCase()}`)}`, svc.tokens.auditor)).body.items.map((v: { id: string }) => v.id)).toEqual([
        made[`ACME ${p}`],
      ]);

      const first = await api('GET', `/v1/people?q=${q(`陳`)}&limit=1`, svc.tokens.requester);
      expect(first.status).toBe(200);
      expect(first.body.items.map((x: { id: string }) => x.id)).toEqual([people[2]]);
      const second = await api('GET', `/v1/people?q=${q(`陳`)}&limit=1&cursor=${first.body.nextCursor}`, svc.tokens.requester);
      expect(second.body.items.map((x: { id: string }) => x.id)).toEqual([people[0]]);
      expect(second.body.nextCursor).toBeNull();
      expect((await api('GET', `/v1/people?q=${q(`美華${p}`)}`, svc.tokens.auditor)).body.items).toEqual([
        expect.objectContaining({ id: people[1], fullName: `林美華${p}`, vendorId: made[`ACME ${p}`] }),
      ]);
      expect((await api('GET', '/v1/people?cursor=bogus', svc.tokens.requester)).status).toBe(400);
      expect((await api('GET', `/v1/people?q=${p}`, svc.tokens.logSource)).status).toBe(403);
    });
  });
});
