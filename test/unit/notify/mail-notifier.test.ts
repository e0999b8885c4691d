import { beforeEach, describe, expect, it } from 'vitest';
import type { Page } from '../../../src/domain/ports/domain-store.port.js';
import { MailNotifier, mailJobIds, type MailJob } from '../../../src/notify/mail-notifier.js';
import type { Recipient, RecipientDirectory } from '../../../src/notify/recipient-directory.js';
import type { OutgoingMail } from '../../../src/notify/smtp-mailer.js';
import type { SessionRecord } from '../../../src/sessions/session-record.js';
import type { StaffRole } from '../../../src/staff/staff-roles.js';
import { silentLogger } from '../../support/log-capture.js';

const person = (name: string): Recipient => ({ dn: `uid=${name},ou=staff,dc=school,dc=test`, name, displayName: name, mail: `${name}@school.test` });
const staff = { ann: person('ann'), bob: person('bob'), carl: person('carl'), eve: person('eve'), ida: person('ida') };

/** The directory as mail sees it: who holds which role, who has an address. */
class FakeRecipients implements RecipientDirectory {
  constructor(
    private readonly roles: Partial<Record<StaffRole, Recipient[]>>,
    private readonly everyone: Recipient[],
  ) {}
  membersOf(role: StaffRole) {
    return Promise.resolve(this.roles[role] ?? []);
  }
  byLogin(login: string) {
    return Promise.resolve(this.everyone.find((r) => r.name === login) ?? null);
  }
  byDn(dn: string) {
    return Promise.resolve(this.everyone.find((r) => r.dn === dn) ?? null);
  }
}

const request = {
  id: 'req_1',
  n: 1,
  personId: 'per_1',
  vendorId: 'ven_1',
  requester: 'ann',
  workDescription: 'ERP patch',
  targetSystems: ['erp'],
  groups: ['cn=erp,dc=school,dc=test'],
  validFrom: '2026-12-06T00:00:00Z',
  validTo: '2026-12-13T00:00:00Z',
  status: 'pending',
  createdAt: '2026-12-05T00:00:00Z',
  updatedAt: '2026-12-05T00:00:00Z',
  credential: 'none',
  attempt: 1,
  history: [],
} as const;

const emptyPage = <T>(): Page<T> => ({ items: [], nextCursor: null });

describe('mail notifications', () => {
  let queued: { name: string; data: Partial<MailJob>; jobId: string; delayMs: number }[];
  let sent: OutgoingMail[];
  let current: Record<string, unknown>;
  let unreviewed: SessionRecord[];
  let now: Date;

  const notifier = (
    recipients: RecipientDirectory = new FakeRecipients(
      { approver: [staff.ann, staff.bob, staff.carl], 'exception-approver': [staff.bob, staff.eve], auditor: [staff.ida] },
      Object.values(staff),
    ),
  ) =>
    new MailNotifier({
      enqueue: (name: string, data: Partial<MailJob>, jobId: string, delayMs: number) => Promise.resolve(void queued.push({ name, data, jobId, delayMs })),
      recipients,
      mailer: { send: (m) => Promise.resolve(void sent.push(m)), close: () => undefined },
      store: {
        getRequest: (id) => Promise.resolve(id === 'req_1' ? (current as never) : null),
        getVendor: () => Promise.resolve({ id: 'ven_1', name: 'Acme' } as never),
        getPerson: () => Promise.resolve({ id: 'per_1', fullName: 'Chen Wei' } as never),
      },
      sessions: {
        listSessions: () => Promise.resolve({ items: unreviewed, nextCursor: null }),
        overdue: () => Promise.resolve(emptyPage<SessionRecord & { reviewDueAt: string }>()),
      },
      settings: { publicUrl: 'https://leasehold.school.test', timeZone: 'Asia/Taipei' },
      logger: silentLogger(),
      now: () => now,
    });

  beforeEach(() => {
    queued = [];
    sent = [];
    current = { ...request };
    unreviewed = [];
    now = new Date('2026-12-06T01:00:00Z');
  });

  it('queues one fan-out for a mailed event (delayed for a reminder) and nothing for webhook-only events', async () => {
    const n = notifier();
    await n.notify('request.filed', 'req_1');
    await n.notify('reminder', 'req_1', new Date(now.getTime() + 60_000));
    await n.notify('revoked', 'req_1');
    await n.notify('review.overdue', 'ses_1');
    expect(queued).toEqual([
      { name: 'mail-fanout', data: { event: 'request.filed', subjectId: 'req_1' }, jobId: 'mailfan-request.filed-req_1', delayMs: 0 },
      { name: 'mail-fanout', data: { event: 'reminder', subjectId: 'req_1' }, jobId: 'mailfan-reminder-req_1', delayMs: 60_000 },
    ]);
  });

  it('mails every approver but the requester about a filed request: one job each, naming the DN, never the address', async () => {
    await notifier().fanout({ event: 'request.filed', subjectId: 'req_1' });
    expect(queued.map((q) => q.data)).toEqual([
      { event: 'request.filed', subjectId: 'req_1', to: staff.bob.dn },
      { event: 'request.filed', subjectId: 'req_1', to: staff.carl.dn },
    ]);
    expect(new Set(queued.map((q) => q.jobId)).size).toBe(2);
    expect(JSON.stringify(queued)).not.toContain('@school.test');
    expect(queued[0]!.jobId).toBe(mailJobIds.mail('request.filed', 'req_1', staff.bob.dn));
    expect(queued[0]!.jobId).not.toContain(':');
  });

  it('mails the exception approvers who are neither the requester nor the first approver', async () => {
    current = { ...request, approval: { by: 'bob', at: '2026-12-05T01:00:00Z' } };
    await notifier().fanout({ event: 'exception.requested', subjectId: 'req_1' });
    expect(queued.map((q) => q.data.to)).toEqual([staff.eve.dn]);
  });

  it('mails the requester, found by login name, about their request; a requester outside the directory (a machine token) gets none', async () => {
    await notifier().fanout({ event: 'approved', subjectId: 'req_1' });
    expect(queued.map((q) => q.data.to)).toEqual([staff.ann.dn]);
    queued = [];
    current = { ...request, requester: 'hr-feed' };
    await notifier().fanout({ event: 'rejected', subjectId: 'req_1' });
    expect(queued).toEqual([]);
  });

  it('sends the mail to the address the directory holds when it is sent, and nothing to someone who has left', async () => {
    current = { ...request, status: 'approved', approval: { by: 'bob', at: '2026-12-05T01:00:00Z' } };
    const n = notifier();
    await n.deliver({ event: 'approved', subjectId: 'req_1', to: staff.ann.dn });
    expect(sent).toHaveLength(1);
    expect(sent[0]).toMatchObject({ to: 'ann@school.test', subject: expect.stringContaining('Access request approved: Chen Wei (Acme)') });
    await n.deliver({ event: 'approved', subjectId: 'req_1', to: 'uid=gone,ou=staff,dc=school,dc=test' });
    expect(sent).toHaveLength(1);
  });

  it('drops an expiry reminder for access that already ended', async () => {
    current = { ...request, status: 'revoked' };
    const n = notifier();
    await n.fanout({ event: 'reminder', subjectId: 'req_1' });
    await n.deliver({ event: 'reminder', subjectId: 'req_1', to: staff.ann.dn });
    expect(queued).toEqual([]);
    expect(sent).toEqual([]);
  });

  it('queues the digest per auditor under the local day (Asia/Taipei), and sends nothing when nothing awaits review', async () => {
    now = new Date('2026-12-06T20:00:00Z'); // 04:00 on the 7th in Taipei
    const n = notifier();
    await n.digest();
    expect(queued).toEqual([
      {
        name: 'mail',
        data: { event: 'digest', subjectId: '2026-12-07', to: staff.ida.dn },
        jobId: mailJobIds.mail('digest', '2026-12-07', staff.ida.dn),
        delayMs: 0,
      },
    ]);
    await n.deliver(queued[0]!.data as MailJob);
    expect(sent).toEqual([]);
    unreviewed = [{ id: 'ses_9', account: 'v-acme-chen-1', source: 'bastion-1', firstAt: '2026-12-06T02:00:00Z', flags: [] } as unknown as SessionRecord];
    await n.deliver(queued[0]!.data as MailJob);
    expect(sent).toHaveLength(1);
    expect(sent[0]!.text).toContain('https://leasehold.school.test/sessions/ses_9');
  });
});
