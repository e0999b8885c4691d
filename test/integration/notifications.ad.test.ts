import { randomBytes } from 'node:crypto';
import { Attribute, Change } from 'ldapts';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { childDn } from '../../src/provisioner/ldap/escape.js';
import { createAdSubtree, type AdSubtree } from '../rig/samba.js';
import { eventually } from '../support/eventually.js';
import { vendorWithPerson } from '../support/fixtures.js';
import { apiClient, sambaTarget, startTestService, type TestService } from '../support/service-harness.js';
import { startSmtpSink, type SmtpSink } from '../support/smtp-sink.js';
import { staffClient } from '../support/staff-client.js';

const samba = inject('samba');
const rand = randomBytes(3).toString('hex');
const PUBLIC_URL = 'https://leasehold.school.test';

/**
 * Mail recipients on Active Directory: role members through nested groups
 * (the in-chain matching rule), the requester by sAMAccountName, each with
 * the `mail` attribute; a disabled member is never mailed.
 */
describe.skipIf(!samba)('notifications: mail recipients in Samba AD', () => {
  let tree: AdSubtree;
  let svc: TestService;
  let sink: SmtpSink;
  const dnsDomain = samba ? samba.realm.toLowerCase() : '';
  const password = `Staff-${randomBytes(6).toString('hex')}-Aa1!`;
  const sam = (who: string) => `nt-${who}-${rand}`;
  const mailOf = (who: string) => `${who}-${rand}@school.test`;

  /** A user made as an AD administrator would: disabled, password over LDAPS, then enabled (unless `disabled`). */
  const addUser = async (who: string, parent: string, disabled = false): Promise<string> => {
    const dn = childDn('CN', sam(who), parent);
    await tree.admin.add(dn, {
      objectClass: ['top', 'person', 'organizationalPerson', 'user'],
      sAMAccountName: sam(who),
      userPrincipalName: `${sam(who)}@${dnsDomain}`,
      mail: mailOf(who),
      userAccountControl: '514',
    });
    await tree.admin.modify(
      dn,
      new Change({ operation: 'replace', modification: new Attribute({ type: 'unicodePwd', values: [Buffer.from(`"${password}"`, 'utf16le')] }) }),
    );
    if (!disabled)
      await tree.admin.modify(dn, new Change({ operation: 'replace', modification: new Attribute({ type: 'userAccountControl', values: ['512'] }) }));
    return dn;
  };

  beforeAll(async () => {
    sink = await startSmtpSink();
    tree = await createAdSubtree('ad-notify');
    const staffOu = await tree.addOu('staff');
    const vendorOu = await tree.addOu('vendors');
    const ann = await addUser('ann', staffOu);
    const bob = await addUser('bob', staffOu);
    const carl = await addUser('carl', staffOu);
    const dave = await addUser('dave', staffOu, true);
    // carl is an approver through team ∈ approvers; dave is one directly but disabled.
    const team = await tree.addGroup('team');
    const approvers = await tree.addGroup('approvers');
    const requesters = await tree.addGroup('requesters');
    await tree.addMember(team, carl);
    await tree.addMember(approvers, team);
    await tree.addMember(approvers, bob);
    await tree.addMember(approvers, dave);
    await tree.addMember(requesters, ann);
    svc = await startTestService({
      redisUrl: inject('redisUrl'),
      directory: sambaTarget(samba!, vendorOu),
      policy: {
        staff: {
          roles: { requester: [requesters], approver: [approvers], auditor: [], admin: [], 'exception-approver': [] },
          idleMinutes: 30,
          absoluteHours: 10,
          roleRefreshMinutes: 5,
        },
      },
      env: { STAFF_SEARCH_BASE: tree.dn, PUBLIC_URL, SMTP_URL: sink.url, MAIL_FROM: 'leasehold@school.test' },
    });
  });
  afterAll(async () => {
    await svc?.close();
    await tree?.cleanup();
    await sink?.close();
  });

  it('mails the approvers found through nested groups (never a disabled one), then the requester found by sAMAccountName', async () => {
    const api = apiClient(svc.url);
    const { personId } = await vendorWithPerson(api, svc, `AD Notify ${rand}`);
    const group = await tree.addGroup('erp');
    const requester = staffClient(svc.url, PUBLIC_URL);
    expect((await requester.login(sam('ann'), password)).status).toBe(200);
    const filed = await requester.call('POST', '/v1/requests', {
      personId,
      workDescription: 'ERP patch',
      targetSystems: ['erp-app01'],
      groups: [group],
      validFrom: new Date(Date.now() + 60_000).toISOString(),
      validTo: new Date(Date.now() + 3_600_000).toISOString(),
    });
    expect(filed.status, JSON.stringify(filed.body)).toBe(201);
    await eventually(() => Promise.resolve(sink.mails.length >= 2));
    await new Promise((r) => setTimeout(r, 500));
    expect(sink.mails.map((m) => m.to[0]).sort()).toEqual([mailOf('bob'), mailOf('carl')].sort());
    expect(sink.mails[0]!.text).toContain(`${PUBLIC_URL}/requests/${filed.body.id}`);

    const approver = staffClient(svc.url, PUBLIC_URL);
    expect((await approver.login(sam('bob'), password)).status).toBe(200);
    expect((await approver.call('POST', `/v1/requests/${filed.body.id}/approve`, {})).status).toBe(200);
    const approved = await eventually(() => Promise.resolve(sink.mails.find((m) => m.to.includes(mailOf('ann')))));
    expect(approved.subject).toContain('Access request approved');
  });
});
