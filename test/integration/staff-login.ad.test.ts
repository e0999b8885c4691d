import { randomBytes } from 'node:crypto';
import { Attribute, Change } from 'ldapts';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { childDn } from '../../src/provisioner/ldap/escape.js';
import { createAdSubtree, type AdSubtree } from '../rig/samba.js';
import { sambaTarget, startTestService, type TestService } from '../support/service-harness.js';
import { staffClient } from '../support/staff-client.js';

const samba = inject('samba');
const rand = randomBytes(3).toString('hex');

/**
 * Staff sign-in on Active Directory: by sAMAccountName (the default login
 * attribute) or by UPN, roles through groups nested in AD (the in-chain
 * matching rule), vendor accounts refused, a disabled account's session
 * ended at the next role refresh.
 */
describe.skipIf(!samba)('staff sign-in against Samba AD', () => {
  let tree: AdSubtree;
  let svc: TestService;
  let staff: { dn: string; sam: string; upn: string; password: string };
  let vendor: { sam: string; password: string };
  const dnsDomain = samba ? samba.realm.toLowerCase() : '';

  /** A user made as an AD administrator would: disabled, password over LDAPS, then enabled. */
  const addUser = async (sam: string, parent: string, password: string): Promise<string> => {
    const dn = childDn('CN', sam, parent);
    await tree.admin.add(dn, {
      objectClass: ['top', 'person', 'organizationalPerson', 'user'],
      sAMAccountName: sam,
      userPrincipalName: `${sam}@${dnsDomain}`,
      displayName: `${sam} (display)`,
      userAccountControl: '514',
    });
    await tree.admin.modify(
      dn,
      new Change({ operation: 'replace', modification: new Attribute({ type: 'unicodePwd', values: [Buffer.from(`"${password}"`, 'utf16le')] }) }),
    );
    await tree.admin.modify(dn, new Change({ operation: 'replace', modification: new Attribute({ type: 'userAccountControl', values: ['512'] }) }));
    return dn;
  };

  beforeAll(async () => {
    tree = await createAdSubtree('ad-staff');
    const staffOu = await tree.addOu('staff');
    const vendorOu = await tree.addOu('vendors');
    const sam = `st-${rand}`;
    const password = `Staff-${randomBytes(6).toString('hex')}-Aa1!`;
    const dn = await addUser(sam, staffOu, password);
    staff = { dn, sam, upn: `${sam}@${dnsDomain}`, password };
    vendor = { sam: `v-st-${rand}`, password: `Vendor-${randomBytes(6).toString('hex')}-Aa1!` };
    await addUser(vendor.sam, vendorOu, vendor.password);
    // staff ∈ inner ∈ approvers: the role two levels down.
    const inner = await tree.addGroup('inner');
    const approvers = await tree.addGroup('approvers');
    await tree.addMember(inner, dn);
    await tree.addMember(approvers, inner);
    svc = await startTestService({
      redisUrl: inject('redisUrl'),
      directory: sambaTarget(samba!, vendorOu),
      policy: {
        staff: {
          roles: { requester: [], approver: [approvers], auditor: [], admin: [], 'exception-approver': [] },
          idleMinutes: 30,
          absoluteHours: 10,
          roleRefreshMinutes: 0.02,
        },
      },
      env: { STAFF_SEARCH_BASE: tree.dn },
    });
  });
  afterAll(async () => {
    await svc?.close();
    await tree?.cleanup();
  });

  it('signs in by sAMAccountName and by UPN as the same stable name, with the role of a nested group', async () => {
    for (const login of [staff.sam, staff.upn]) {
      const r = await staffClient(svc.url).login(login, staff.password);
      expect(r).toMatchObject({ status: 200, body: { name: staff.sam, roles: ['approver'] } });
    }
  });

  it('answers a wrong password and an unknown login alike, and refuses a vendor account with its right password', async () => {
    const wrong = await staffClient(svc.url).login(staff.sam, 'Not-The-Password-1!');
    const unknown = await staffClient(svc.url).login(`nobody-${rand}`, 'Not-The-Password-1!');
    expect(wrong.status).toBe(401);
    expect(unknown.status).toBe(401);
    expect(wrong.body.error).toEqual(unknown.body.error);
    const v = await staffClient(svc.url).login(vendor.sam, vendor.password);
    expect(v.status).toBe(403);
    expect(v.body.error.code).toBe('vendor_account');
  });

  it('ends the session of an account disabled in AD at the next refresh', async () => {
    const c = staffClient(svc.url);
    expect((await c.login(staff.sam, staff.password)).status).toBe(200);
    await tree.admin.modify(staff.dn, new Change({ operation: 'replace', modification: new Attribute({ type: 'userAccountControl', values: ['514'] }) }));
    try {
      await new Promise((r) => setTimeout(r, 1500));
      expect((await c.call('GET', '/v1/auth/me')).status).toBe(401);
    } finally {
      await tree.admin.modify(staff.dn, new Change({ operation: 'replace', modification: new Attribute({ type: 'userAccountControl', values: ['512'] }) }));
    }
  });
});
