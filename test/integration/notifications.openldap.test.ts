import { randomBytes } from 'node:crypto';
import { Attribute, Change } from 'ldapts';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { policySchema } from '../../src/config/policy.schema.js';
import { signPayload } from '../../src/notify/webhook-notifier.js';
import { childDn } from '../../src/provisioner/ldap/escape.js';
import type { LdapConnection } from '../../src/provisioner/ldap/ldap-connection.js';
import { QueueBus } from '../../src/queues/queue-bus.js';
import { RedisKeys } from '../../src/store/redis-keys.js';
import { ssha } from '../../tools/dev/slapd-seed.js';
import { adminConnection } from '../rig/ldap-subtree.js';
import { eventually } from '../support/eventually.js';
import { untilStatus, vendorWithPerson } from '../support/fixtures.js';
import { apiClient, slapdTarget, startTestService, type TestService } from '../support/service-harness.js';
import { startSmtpSink, type ReceivedMail, type SmtpSink } from '../support/smtp-sink.js';
import { staffClient, type StaffClient } from '../support/staff-client.js';
import { startWebhookReceiver } from '../support/webhook-receiver.js';

const PUBLIC_URL = 'https://leasehold.school.test/console-root';
const SECRET = 'w'.repeat(32);
const rand = randomBytes(4).toString('hex');
const login = (who: string) => `${who}-${rand}`;
const mailOf = (who: string) => `${who}-${rand}@school.test`;
const PASSWORD = 'Staff-pw-1';

/** `check` again and again until it gives something (synchronous checks of what the servers received). */
const until = <T>(check: () => T | undefined | null | false) => eventually(() => Promise.resolve(check()));

/** Mails the sink received for `address`. */
const mailsTo = (sink: SmtpSink, address: string) => sink.mails.filter((m) => m.to.includes(address));

/** The mail is one message with the Traditional Chinese part first, then the English one, both linking to `href`. */
function expectBilingual(mail: ReceivedMail, zh: string, en: string, href: string) {
  expect(mail.text).toContain(zh);
  expect(mail.text).toContain(en);
  expect(mail.text.indexOf(zh)).toBeLessThan(mail.text.indexOf(en));
  expect(mail.text.split(href).length - 1).toBeGreaterThanOrEqual(2);
  expect(mail.html).toContain(`href="${href}"`);
  expect(mail.html).toContain('lang="zh-Hant-TW"');
  expect(mail.html).toContain('lang="en"');
}

describe('notifications: mail over a real SMTP server and webhooks', () => {
  let admin: LdapConnection;
  let root: string;
  let svc: TestService;
  let sink: SmtpSink;
  let hooks: Awaited<ReturnType<typeof startWebhookReceiver>>;
  let api: ReturnType<typeof apiClient>;
  let requester: StaffClient;
  let approver: StaffClient;
  let personId: string;
  let groupDn: string;

  beforeAll(async () => {
    const slapd = inject('slapd');
    admin = adminConnection(slapd);
    sink = await startSmtpSink();
    hooks = await startWebhookReceiver();
    const ou = async (name: string, parent: string) => {
      const dn = childDn('ou', name, parent);
      await admin.add(dn, { objectClass: ['organizationalUnit'], ou: [name] });
      return dn;
    };
    root = await ou(`notify-${rand}`, slapd.peopleOu);
    const people = await ou('people', root);
    const vendors = await ou('vendors', root);
    const dnOf: Record<string, string> = {};
    const user = async (key: string, mail: boolean) => {
      const dn = childDn('uid', login(key), people);
      await admin.add(dn, {
        objectClass: ['inetOrgPerson'],
        uid: [login(key)],
        cn: [`${key} Staff`],
        sn: ['Staff'],
        userPassword: [ssha(PASSWORD)],
        ...(mail ? { mail: [mailOf(key)] } : {}),
      });
      dnOf[key] = dn;
    };
    // ann files requests; bob approves directly, carl through a nested group; nomail is an approver without an address;
    // ida is an auditor; locked is an approver whose account is locked (never mailed); eve (and bob) approve exceptions.
    for (const [key, mail] of [
      ['ann', true],
      ['bob', true],
      ['carl', true],
      ['nomail', false],
      ['ida', true],
      ['locked', true],
      ['eve', true],
    ] as const)
      await user(key, mail);
    const lock = new Attribute({ type: 'pwdAccountLockedTime', values: ['000001010000Z'] });
    await admin.modify(dnOf.locked!, new Change({ operation: 'replace', modification: lock }));
    const group = async (name: string, members: string[]) => {
      const dn = childDn('cn', name, root);
      await admin.add(dn, { objectClass: ['groupOfNames'], cn: [name], member: members });
      return dn;
    };
    const team = await group(`approver-team-${rand}`, [dnOf.carl!]);
    await group(`approvers-${rand}`, [dnOf.bob!, dnOf.nomail!, dnOf.ann!, dnOf.locked!, team]);
    const requesters = await group(`requesters-${rand}`, [dnOf.ann!]);
    const auditors = await group(`auditors-${rand}`, [dnOf.ida!]);
    const exceptionApprovers = await group(`exception-approvers-${rand}`, [dnOf.eve!, dnOf.bob!]);
    groupDn = childDn('cn', 'erp-support', slapd.groupsOu);
    svc = await startTestService({
      redisUrl: inject('redisUrl'),
      directory: slapdTarget(slapd, vendors),
      policy: {
        staff: {
          roles: { requester: [requesters], approver: [`approvers-${rand}`], auditor: [auditors], admin: [], 'exception-approver': [exceptionApprovers] },
          idleMinutes: 30,
          absoluteHours: 10,
          roleRefreshMinutes: 5,
        },
        webhooks: [{ url: hooks.url, secret: SECRET, events: ['request.filed', 'approved', 'active', 'review.overdue'] }],
        // A session's review falls due a day after it ended; the watch looks every second.
        sessions: policySchema.shape.sessions.parse({ reviewDueDays: 1 }),
        notifications: { digestHour: 8, watchSeconds: 1 },
      },
      env: { STAFF_SEARCH_BASE: root, PUBLIC_URL, SMTP_URL: sink.url, MAIL_FROM: 'Leasehold <leasehold@school.test>' },
    });
    api = apiClient(svc.url);
    requester = staffClient(svc.url, new URL(PUBLIC_URL).origin);
    approver = staffClient(svc.url, new URL(PUBLIC_URL).origin);
    expect((await requester.login(login('ann'), PASSWORD)).status).toBe(200);
    expect((await approver.login(login('bob'), PASSWORD)).status).toBe(200);
    ({ personId } = await vendorWithPerson(api, svc, `Notify ${rand}`));
  });

  afterAll(async () => {
    await svc?.close();
    await sink?.close();
    await hooks?.close();
    const entries = await admin.search(root, { scope: 'sub', attributes: ['1.1'] });
    const depth = (d: string) => d.split(/(?<!\\),/).length;
    for (const e of entries.sort((a, b) => depth(b.dn) - depth(a.dn))) await admin.del(e.dn);
    await admin.close();
  });

  let requestId: string;

  it('mails every approver with an address (nested groups too, never the requester) when a request is filed, in zh-TW then English with a deep link', async () => {
    const filed = await requester.call('POST', '/v1/requests', {
      personId,
      workDescription: 'ERP patch 7.2',
      targetSystems: ['erp-app01'],
      groups: [groupDn],
      validFrom: new Date(Date.now() + 2000).toISOString(),
      validTo: new Date(Date.now() + 3_600_000).toISOString(),
    });
    expect(filed.status, JSON.stringify(filed.body)).toBe(201);
    requestId = filed.body.id;
    const href = `${PUBLIC_URL}/requests/${requestId}`;
    await until(() => mailsTo(sink, mailOf('bob')).length === 1 && mailsTo(sink, mailOf('carl')).length === 1);
    for (const who of ['bob', 'carl']) {
      const [mail] = mailsTo(sink, mailOf(who));
      expect(mail!.subject).toContain('待核准的存取申請 / Access request awaiting approval');
      expectBilingual(mail!, '等待您核准', 'awaits your approval', href);
      expect(mail!.text).toContain('ERP patch 7.2');
      expect(mail!.text).toContain('Chen Wei');
      expect(mail!.from).toBe('leasehold@school.test');
      expect(mail!.to).toEqual([mailOf(who)]);
    }
    // ann is in the approver group too but filed it; nobody else got a mail; the server saw the credentials of SMTP_URL.
    expect(mailsTo(sink, mailOf('ann'))).toEqual([]);
    expect(sink.mails).toHaveLength(2);
    expect(sink.logins.length).toBeGreaterThan(0);
  });

  it('delivers request.filed to the webhook receiver with a signature it can verify', async () => {
    const hook = await until(() => hooks.received.find((h) => h.headers['x-leasehold-event'] === 'request.filed'));
    const timestamp = hook.headers['x-leasehold-timestamp'] as string;
    expect(hook.headers['x-leasehold-signature']).toBe(signPayload(SECRET, timestamp, hook.body));
    expect(JSON.parse(hook.body)).toMatchObject({ event: 'request.filed', request: { id: requestId, status: 'pending', requester: login('ann') } });
  });

  it('mails the requester when the request is approved and when the account is active, never the password', async () => {
    const approved = await approver.call('POST', `/v1/requests/${requestId}/approve`, { comment: 'ok' });
    expect(approved.status, JSON.stringify(approved.body)).toBe(200);
    const href = `${PUBLIC_URL}/requests/${requestId}`;
    const approvedMail = await until(() => mailsTo(sink, mailOf('ann')).find((m) => m.subject.includes('Access request approved')));
    expectBilingual(approvedMail, `已由 ${login('bob')} 核准`, `approved by ${login('bob')}`, href);
    await untilStatus(api, svc, requestId, 'active');
    const activeMail = await until(() => mailsTo(sink, mailOf('ann')).find((m) => m.subject.includes('Vendor account active')));
    const request = (await api('GET', `/v1/requests/${requestId}`, svc.tokens.auditor)).body;
    expectBilingual(activeMail, `帳號 ${request.account.username} 已建立並啟用`, `Account ${request.account.username} is made and active`, href);
    const credential = await requester.call('POST', `/v1/requests/${requestId}/credentials`);
    expect(credential.status).toBe(200);
    for (const m of sink.mails) expect(m.raw).not.toContain(credential.body.password);
    // The approver hears nothing of it; the hooks subscribed to approved and active got them.
    expect(mailsTo(sink, mailOf('bob'))).toHaveLength(1);
    await until(() => ['approved', 'active'].every((e) => hooks.received.some((h) => h.headers['x-leasehold-event'] === e)));
  });

  it('sends the auditors a daily digest listing the unreviewed session, once per day however often the digest runs', async () => {
    const request = (await api('GET', `/v1/requests/${requestId}`, svc.tokens.auditor)).body;
    const sent = await api('POST', '/v1/session-events', svc.tokens.logSource, {
      events: [
        { source: 'bastion-1', account: request.account.username, type: 'login', at: new Date().toISOString(), target: 'erp-app01', sourceIp: '10.0.0.7' },
      ],
    });
    expect(sent.status).toBe(202);
    const sessions = await eventually(async () => {
      const page = (await api('GET', '/v1/sessions', svc.tokens.auditor)).body;
      return page.items.length ? page.items : undefined;
    });
    const sessionId = sessions[0].id as string;
    // The schedule: every day at 08:00 in TZ (Asia/Taipei by default).
    const bus = new QueueBus({ url: inject('redisUrl'), maxRetriesPerRequest: null }, new RedisKeys(svc.prefix).queuePrefix(), () => new Date());
    try {
      const scheduler = await bus.queues.notifications.getJobScheduler('digest');
      expect(scheduler).toMatchObject({ pattern: '0 8 * * *', tz: 'Asia/Taipei' });
      // A tick of the schedule, twice (a restart, a second worker): one mail to the auditor.
      await bus.add('digest', {});
      const digest = await until(() => mailsTo(sink, mailOf('ida'))[0]);
      expect(digest.subject).toContain('稽核每日摘要 / Daily audit digest');
      expectBilingual(digest, '待審閱的工作階段', 'Sessions awaiting review', `${PUBLIC_URL}/sessions/${sessionId}`);
      expect(digest.text).toContain(`${request.account.username} @ bastion-1`);
      await bus.add('digest', {});
      await new Promise((r) => setTimeout(r, 1500));
      expect(mailsTo(sink, mailOf('ida'))).toHaveLength(1);
    } finally {
      await bus.close();
    }
  });

  it('posts review.overdue once for a session whose review fell due, with the session and its due time', async () => {
    const request = (await api('GET', `/v1/requests/${requestId}`, svc.tokens.auditor)).body;
    const twoDaysAgo = new Date(Date.now() - 2 * 86_400_000).toISOString();
    const sent = await api('POST', '/v1/session-events', svc.tokens.logSource, {
      events: [{ source: 'jump-2', account: request.account.username, type: 'login', at: twoDaysAgo, target: 'erp-app01' }],
    });
    expect(sent.status).toBe(202);
    const hook = await until(() => hooks.received.find((h) => h.headers['x-leasehold-event'] === 'review.overdue'));
    expect(hook.headers['x-leasehold-signature']).toBe(signPayload(SECRET, hook.headers['x-leasehold-timestamp'] as string, hook.body));
    const body = JSON.parse(hook.body);
    expect(body.session).toMatchObject({ account: request.account.username, source: 'jump-2', requestId, firstAt: twoDaysAgo });
    expect(Date.parse(body.session.reviewDueAt)).toBe(Date.parse(twoDaysAgo) + 86_400_000);
    // The watch keeps running every second: the same overdue session is not posted again.
    await new Promise((r) => setTimeout(r, 2500));
    expect(hooks.received.filter((h) => h.headers['x-leasehold-event'] === 'review.overdue')).toHaveLength(1);
  });

  it('mails the exception approvers, with the justification and the memo reference, when a request needs an exception approval', async () => {
    const filed = await requester.call('POST', '/v1/requests', {
      personId,
      workDescription: 'Year-end close',
      targetSystems: ['erp-app01'],
      groups: [groupDn],
      validFrom: new Date(Date.now() + 60_000).toISOString(),
      validTo: new Date(Date.now() + 45 * 86_400_000).toISOString(),
      exception: { justification: 'the close runs six weeks', memoRef: `MEMO-${rand}` },
    });
    expect(filed.status, JSON.stringify(filed.body)).toBe(201);
    const id = filed.body.id as string;
    const forEve = await until(() => mailsTo(sink, mailOf('eve')).find((m) => m.text.includes(id)));
    expect(forEve.subject).toContain('待例外核准的存取申請 / Access request awaiting exception approval');
    expectBilingual(forEve, '須經例外核准（條款 1.9）', 'needs an exception approval (clause 1.9)', `${PUBLIC_URL}/requests/${id}`);
    expect(forEve.text).toContain(`簽呈文號: MEMO-${rand}`);
    expect(forEve.text).toContain('Exception justification: the close runs six weeks');
    // bob is told of the filing as an approver, and of the exception as an exception approver: two mails about it.
    await until(() => mailsTo(sink, mailOf('bob')).filter((m) => m.text.includes(id)).length === 2);
  });
});
