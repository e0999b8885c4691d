import { describe, expect, it } from 'vitest';
import { consoleLink, digestMail, formatTime, REQUEST_MAIL_EVENTS, requestMail, type RequestMailFacts } from '../../../src/notify/mail-templates.js';

const settings = { publicUrl: 'https://leasehold.school.test/', timeZone: 'Asia/Taipei' };
const facts: RequestMailFacts = {
  id: 'req_01abc',
  vendorName: '宏碁資訊',
  personName: '王小明',
  requester: 'ops-alice',
  workDescription: 'ERP patch <script>alert(1)</script>',
  targetSystems: ['erp-app01', 'erp-db01'],
  groups: ['cn=erp-support,ou=groups,dc=school,dc=test'],
  validFrom: '2026-12-06T00:00:00Z',
  validTo: '2026-12-13T00:00:00Z',
  username: 'v-hongqizi-wangxm-1',
  decidedBy: 'sup-bob',
  reason: 'no contract',
};
const CJK = /[\u3400-\u9fff]/;

describe('mail templates', () => {
  it.each(REQUEST_MAIL_EVENTS)('writes %s as one mail: Traditional Chinese first, then English, each with the deep link to the request', (event) => {
    const mail = requestMail(event, facts, 'ann@school.test', settings);
    const [zh, en] = mail.text.split('\n----\n');
    expect(zh).toMatch(CJK);
    const href = 'https://leasehold.school.test/requests/req_01abc';
    expect(zh).toContain(href);
    expect(en).toContain(href);
    // The English part's own words are English: only the names given in Chinese are Chinese there.
    expect(en!.replaceAll('宏碁資訊', '').replaceAll('王小明', '')).not.toMatch(CJK);
    expect(mail.subject).toMatch(/^\[Leasehold\] \S.* \/ [A-Z][a-z]/);
    expect(mail.html.indexOf('lang="zh-Hant-TW"')).toBeLessThan(mail.html.indexOf('lang="en"'));
    expect(mail.html).toContain(`href="${href}"`);
    expect(mail.to).toBe('ann@school.test');
  });

  it('shows times in the configured zone, groups by name, and escapes what the request says in HTML', () => {
    const mail = requestMail('request.filed', facts, 'x@school.test', settings);
    expect(mail.text).toContain('2026-12-06 08:00 (Asia/Taipei) – 2026-12-13 08:00 (Asia/Taipei)');
    expect(mail.text).toContain('群組: erp-support');
    expect(mail.html).not.toContain('<script>');
    expect(mail.html).toContain('&lt;script&gt;');
    expect(formatTime('2026-12-31T20:00:00Z', 'Asia/Taipei')).toBe('2027-01-01 04:00 (Asia/Taipei)');
  });

  it('says who decided and why on a rejection, and on activation tells the requester to fetch the password without containing one', () => {
    const rejected = requestMail('rejected', facts, 'x@school.test', settings);
    expect(rejected.text).toContain('已由 sup-bob 駁回。理由：no contract');
    expect(rejected.text).toContain('rejected by sup-bob. Reason: no contract');
    const active = requestMail('active', facts, 'x@school.test', settings);
    expect(active.text).toContain('帳號 v-hongqizi-wangxm-1 已建立並啟用');
    expect(active.text).toMatch(/Fetch its one-time initial password in the console/);
    const pickup = requestMail('active', facts, 'x@school.test', { ...settings, handover: 'vendor' });
    expect(pickup.text).toContain('請在主控台為廠商人員產生一次性取件連結');
    expect(pickup.text).toContain("Make the vendor person's one-time pickup link in the console");
    expect(pickup.text).not.toContain('Fetch its one-time initial password');
  });

  it('shows the exception justification and memo to the exception approver', () => {
    const mail = requestMail('exception.requested', { ...facts, exception: { justification: 'year-end close', memoRef: 'MEMO-9' } }, 'x@school.test', settings);
    expect(mail.text).toContain('例外理由: year-end close');
    expect(mail.text).toContain('Memo reference: MEMO-9');
    expect(mail.subject).toContain('待例外核准的存取申請 / Access request awaiting exception approval');
  });

  it('never lets a name break the subject line (no header injection)', () => {
    const mail = requestMail('request.filed', { ...facts, vendorName: 'Evil\r\nBcc: all@school.test' }, 'x@school.test', settings);
    expect(mail.subject).not.toMatch(/[\r\n]/);
  });

  it('lists overdue reviews, sessions awaiting review and the room register in the digest, each session linked to its console page', () => {
    const session = { id: 'ses_1', account: 'v-acme-chen-1', source: 'bastion-1', firstAt: '2026-12-01T02:00:00Z', flags: ['privileged_command'] };
    const mail = digestMail(
      {
        day: '2026-12-07',
        awaiting: [session],
        moreAwaiting: true,
        overdue: [{ ...session, reviewDueAt: '2026-12-05T02:00:00Z' }],
        moreOverdue: false,
        room: { periodStart: '2026-11-01T01:00:00Z', dueAt: '2026-12-02T01:00:00Z' },
      },
      'ida@school.test',
      settings,
    );
    expect(mail.subject).toBe('[Leasehold] 稽核每日摘要 / Daily audit digest 2026-12-07: 1+ 待審 awaiting, 1 逾期 overdue, 機房登記逾期 room register overdue');
    expect(mail.text).toContain(
      '- v-acme-chen-1 @ bastion-1, 2026-12-01 10:00 (Asia/Taipei)，應於 2026-12-05 10:00 (Asia/Taipei) 前審閱（標記：privileged_command）  https://leasehold.school.test/sessions/ses_1',
    );
    expect(mail.text).toContain('review due 2026-12-05 10:00 (Asia/Taipei) (flags: privileged_command)');
    expect(mail.text).toContain('……尚有更多，請見主控台');
    expect(mail.text).toContain('… and more, see the console');
    expect(mail.text).toContain('was due for review by 2026-12-02 09:00 (Asia/Taipei) and is overdue');
    expect(mail.html).toContain('href="https://leasehold.school.test/sessions/ses_1"');
    expect(mail.html).toContain('href="https://leasehold.school.test/room-visits"');
    const empty = digestMail({ day: '2026-12-07', awaiting: [], moreAwaiting: false, overdue: [], moreOverdue: false, room: null }, 'x@school.test', settings);
    expect(empty.text).toContain('Nothing overdue');
  });

  it('joins PUBLIC_URL and a console route with one slash, keeping a path prefix', () => {
    expect(consoleLink('https://h.test/leasehold/', '/requests/r1')).toBe('https://h.test/leasehold/requests/r1');
    expect(consoleLink('https://h.test', '/sessions/s1')).toBe('https://h.test/sessions/s1');
  });
});
