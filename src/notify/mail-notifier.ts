import { createHash } from 'node:crypto';
import type { Logger } from '../logger.js';
import type { Stored } from '../domain/ports/domain-store.port.js';
import type { AccessRequest, Person, Vendor } from '../domain/types.js';
import type { Page } from '../domain/ports/domain-store.port.js';
import { normalizeDn } from '../provisioner/ldap/escape.js';
import type { SessionFilter } from '../sessions/session-store.port.js';
import type { SessionRecord } from '../sessions/session-record.js';
import type { StaffRole } from '../staff/staff-roles.js';
import { digestMail, REQUEST_MAIL_EVENTS, requestMail, type DigestSession, type MailSettings, type RequestMailEvent } from './mail-templates.js';
import type { Recipient, RecipientDirectory } from './recipient-directory.js';
import type { Mailer } from './smtp-mailer.js';
import type { NotificationEvent, Notifier, RoomReviewSource } from './webhook-notifier.js';

/** One mail to one staff member: ids and a DN only; the address is read from the directory when the mail is sent. */
export interface MailJob {
  event: RequestMailEvent | 'digest';
  /** The request id, or for the digest the local date (YYYY-MM-DD) it is for. */
  subjectId: string;
  /** The recipient's DN. */
  to: string;
}

/** Who hears of each request event by mail: the members of a role, or the request's requester. */
export const MAIL_AUDIENCE: Record<RequestMailEvent, StaffRole | 'requester'> = {
  'request.filed': 'approver',
  'exception.requested': 'exception-approver',
  approved: 'requester',
  rejected: 'requester',
  active: 'requester',
  failed: 'requester',
  reminder: 'requester',
};

/** Sessions listed per digest section; the mail says when more wait. */
const DIGEST_LIMIT = 50;
/** Request states in which an expiry reminder still means something. */
const LIVE = ['approved', 'provisioning', 'active'];

export interface MailEnqueue {
  (name: 'mail-fanout', data: Omit<MailJob, 'to'>, jobId: string, delayMs: number): Promise<void>;
  (name: 'mail', data: MailJob, jobId: string, delayMs: number): Promise<void>;
}

/** Job ids: BullMQ's may not contain ':'; a DN is hashed (it is long and holds commas and '='). */
export const mailJobIds = {
  fanout: (event: string, subjectId: string) => `mailfan-${event}-${subjectId}`.replaceAll(':', '_'),
  mail: (event: string, subjectId: string, dn: string) =>
    `mail-${event}-${subjectId}-${createHash('sha256').update(normalizeDn(dn)).digest('hex').slice(0, 16)}`.replaceAll(':', '_'),
};

/** The local date (YYYY-MM-DD) of `at` in `timeZone`. */
export function localDay(at: Date, timeZone: string): string {
  return new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(at);
}

/**
 * Mail people act on (issue 12 item 5): approvers when a request is filed,
 * exception approvers when one needs their approval, the requester when
 * theirs is approved, rejected, active, failed or about to expire, and the
 * auditors a daily digest. Three steps, each a queue job retried on its own:
 * `notify` queues a fan-out; the fan-out resolves the recipients in the
 * directory and queues one `mail` per recipient (job id per event, subject
 * and recipient, so a repeated fan-out or digest tick sends nothing twice);
 * `mail` reads the address and the facts as they are then and sends.
 */
export class MailNotifier implements Notifier {
  constructor(
    private readonly deps: {
      enqueue: MailEnqueue;
      recipients: RecipientDirectory;
      mailer: Mailer;
      store: {
        getRequest(id: string): Promise<Stored<AccessRequest> | null>;
        getVendor(id: string): Promise<Stored<Vendor> | null>;
        getPerson(id: string): Promise<Stored<Person> | null>;
      };
      sessions: {
        listSessions(filter: SessionFilter, cursor: number | undefined, limit: number): Promise<Page<SessionRecord>>;
        overdue(nowMs: number, offset: number, limit: number): Promise<Page<SessionRecord & { reviewDueAt: string }>>;
      };
      rooms?: RoomReviewSource;
      settings: MailSettings;
      logger: Logger;
      now: () => Date;
    },
  ) {}

  async notify(event: NotificationEvent, subjectId: string, at?: Date): Promise<void> {
    if (!(REQUEST_MAIL_EVENTS as readonly string[]).includes(event)) return;
    const delayMs = at ? Math.max(0, at.getTime() - this.deps.now().getTime()) : 0;
    await this.deps.enqueue('mail-fanout', { event: event as RequestMailEvent, subjectId }, mailJobIds.fanout(event, subjectId), delayMs);
  }

  /** The `mail-fanout` job: who is told, one `mail` job each. */
  async fanout(data: Omit<MailJob, 'to'>): Promise<void> {
    if (data.event === 'digest') return this.digest();
    const request = await this.deps.store.getRequest(data.subjectId);
    if (!request) return;
    if (data.event === 'reminder' && !LIVE.includes(request.status)) return;
    const recipients = await this.recipientsFor(data.event, request);
    if (recipients.length === 0)
      this.deps.logger.warn('nobody to mail: no recipient with a mail address in the directory', { event: data.event, requestId: request.id });
    for (const r of recipients) await this.deps.enqueue('mail', { ...data, to: r.dn }, mailJobIds.mail(data.event, data.subjectId, r.dn), 0);
  }

  /** The members of the event's role (never the requester, nor for an exception the first approver), or the requester. */
  async recipientsFor(event: RequestMailEvent, request: Pick<AccessRequest, 'requester' | 'approval'>): Promise<Recipient[]> {
    const audience = MAIL_AUDIENCE[event];
    if (audience === 'requester') {
      const r = await this.deps.recipients.byLogin(request.requester);
      return r ? [r] : [];
    }
    const excluded = new Set(
      [request.requester, ...(event === 'exception.requested' && request.approval ? [request.approval.by] : [])].map((n) => n.toLowerCase()),
    );
    return (await this.deps.recipients.membersOf(audience)).filter((r) => !excluded.has(r.name.toLowerCase()));
  }

  /** The `digest` job (daily): one `mail` per auditor, its job id naming the local day, so a second tick that day sends nothing. */
  async digest(): Promise<void> {
    const day = localDay(this.deps.now(), this.deps.settings.timeZone);
    const auditors = await this.deps.recipients.membersOf('auditor');
    for (const r of auditors) await this.deps.enqueue('mail', { event: 'digest', subjectId: day, to: r.dn }, mailJobIds.mail('digest', day, r.dn), 0);
    this.deps.logger.info('digest queued', { day, recipients: auditors.length });
  }

  /** The `mail` job: the address and the facts as they are now; nothing when the recipient has gone or there is nothing to say. */
  async deliver(data: MailJob): Promise<void> {
    const recipient = await this.deps.recipients.byDn(data.to);
    if (!recipient) return;
    const mail =
      data.event === 'digest' ? await this.digestFor(data.subjectId, recipient.mail) : await this.requestFor(data.event, data.subjectId, recipient.mail);
    if (!mail) return;
    await this.deps.mailer.send(mail);
    this.deps.logger.info('mail sent', { event: data.event, subjectId: data.subjectId });
  }

  private async requestFor(event: RequestMailEvent, id: string, to: string) {
    const { store, settings } = this.deps;
    const request = await store.getRequest(id);
    if (!request) return null;
    if (event === 'reminder' && !LIVE.includes(request.status)) return null;
    const [vendor, person] = await Promise.all([store.getVendor(request.vendorId), store.getPerson(request.personId)]);
    const decision = event === 'rejected' ? request.rejection : event === 'approved' ? request.approval : undefined;
    const reason = event === 'rejected' ? request.rejection?.reason : event === 'failed' ? request.failure?.reason : undefined;
    // Clause 1.9's exception (src/domain/request-exception.ts), when the request was filed as one.
    const exception = (request as { exception?: { justification: string; memoRef: string } }).exception;
    return requestMail(
      event,
      {
        id: request.id,
        vendorName: vendor?.name ?? request.vendorId,
        // An erased person has no name left: the id stands in.
        personName: person?.fullName ?? request.personId,
        requester: request.requester,
        workDescription: request.workDescription,
        targetSystems: request.targetSystems,
        groups: request.groups,
        validFrom: request.validFrom,
        validTo: request.validTo,
        ...(request.account?.username ? { username: request.account.username } : {}),
        ...(decision ? { decidedBy: decision.by } : {}),
        ...(reason ? { reason } : {}),
        ...(exception ? { exception: { justification: exception.justification, memoRef: exception.memoRef } } : {}),
      },
      to,
      settings,
    );
  }

  private async digestFor(day: string, to: string) {
    const { sessions, rooms, settings, now } = this.deps;
    const at = now();
    const [awaiting, overdue, room] = await Promise.all([
      sessions.listSessions({ reviewed: false }, undefined, DIGEST_LIMIT),
      sessions.overdue(at.getTime(), 0, DIGEST_LIMIT),
      rooms ? rooms.overdueReview(at) : Promise.resolve(null),
    ]);
    // Nothing waits: no mail (a daily "nothing to do" teaches people to ignore the digest).
    if (awaiting.items.length === 0 && overdue.items.length === 0 && !room) return null;
    const item = (s: SessionRecord & { reviewDueAt?: string }): DigestSession => ({
      id: s.id,
      account: s.account,
      source: s.source,
      firstAt: s.firstAt,
      flags: [...new Set(s.flags.map((f) => f.code))],
      ...(s.reviewDueAt ? { reviewDueAt: s.reviewDueAt } : {}),
    });
    const iso = (v: string | Date) => (typeof v === 'string' ? v : v.toISOString());
    return digestMail(
      {
        day,
        awaiting: awaiting.items.map(item),
        moreAwaiting: awaiting.nextCursor !== null,
        overdue: overdue.items.map(item),
        moreOverdue: overdue.nextCursor !== null,
        room: room ? { periodStart: iso(room.periodStart), dueAt: iso(room.dueAt) } : null,
      },
      to,
      settings,
    );
  }
}
