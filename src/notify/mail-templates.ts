import { nameFromDn } from '../provisioner/privileged-groups.js';
import type { OutgoingMail } from './smtp-mailer.js';

/** The request events mailed to someone (webhook-only events are not here). */
export const REQUEST_MAIL_EVENTS = ['request.filed', 'exception.requested', 'approved', 'rejected', 'active', 'failed', 'reminder'] as const;
export type RequestMailEvent = (typeof REQUEST_MAIL_EVENTS)[number];

/** What a request mail shows: the form's fields, the people's names (staff may see them), never a password. */
export interface RequestMailFacts {
  id: string;
  vendorName: string;
  personName: string;
  requester: string;
  workDescription: string;
  targetSystems: string[];
  groups: string[];
  validFrom: string;
  validTo: string;
  username?: string;
  /** Who approved or rejected. */
  decidedBy?: string;
  /** Rejection reason or provisioning failure. */
  reason?: string;
  exception?: { justification?: string; memoRef?: string };
}

export interface DigestSession {
  id: string;
  account: string;
  source: string;
  firstAt: string;
  flags: string[];
  reviewDueAt?: string;
}

export interface DigestFacts {
  /** The local date the digest is for (YYYY-MM-DD). */
  day: string;
  awaiting: DigestSession[];
  /** More sessions await review than are listed. */
  moreAwaiting: boolean;
  overdue: DigestSession[];
  moreOverdue: boolean;
  room: { periodStart: string; dueAt: string } | null;
}

/** Where and how mails are written: the console's address and the time zone dates are shown in. */
export interface MailSettings {
  publicUrl: string;
  timeZone: string;
  /** policy.credentials.handover: with `vendor` the requester makes a pickup link instead of fetching the password. */
  handover?: 'requester' | 'vendor';
}

type Lang = 'zh' | 'en';
type Text = Record<Lang, string>;

const REQUEST_SUBJECT: Record<RequestMailEvent, Text> = {
  'request.filed': { zh: '待核准的存取申請', en: 'Access request awaiting approval' },
  'exception.requested': { zh: '待例外核准的存取申請', en: 'Access request awaiting exception approval' },
  approved: { zh: '存取申請已核准', en: 'Access request approved' },
  rejected: { zh: '存取申請已駁回', en: 'Access request rejected' },
  active: { zh: '廠商帳號已啟用', en: 'Vendor account active' },
  failed: { zh: '廠商帳號建立失敗', en: 'Vendor account could not be made' },
  reminder: { zh: '廠商帳號即將到期', en: 'Vendor account expires soon' },
};

function lead(event: RequestMailEvent, f: RequestMailFacts, t: (iso: string) => string, handover: MailSettings['handover']): Text {
  const by = f.decidedBy ?? '—';
  const user = f.username ?? '—';
  switch (event) {
    case 'request.filed':
      return {
        zh: `${f.requester} 為 ${f.vendorName} 的 ${f.personName} 提出存取申請，等待您核准。`,
        en: `${f.requester} filed an access request for ${f.personName} of ${f.vendorName}; it awaits your approval.`,
      };
    case 'exception.requested':
      return {
        zh: `${f.requester} 為 ${f.vendorName} 的 ${f.personName} 提出的存取申請超出政策規定，須經例外核准（條款 1.9）。`,
        en: `The access request ${f.requester} filed for ${f.personName} of ${f.vendorName} goes beyond policy and needs an exception approval (clause 1.9).`,
      };
    case 'approved':
      return {
        zh: `您的存取申請已由 ${by} 核准，帳號將於 ${t(f.validFrom)} 建立。`,
        en: `Your access request was approved by ${by}; the account will be made at ${t(f.validFrom)}.`,
      };
    case 'rejected':
      return { zh: `您的存取申請已由 ${by} 駁回。理由：${f.reason ?? '—'}`, en: `Your access request was rejected by ${by}. Reason: ${f.reason ?? '—'}` };
    case 'active':
      if (handover === 'vendor')
        return {
          zh: `帳號 ${user} 已建立並啟用，有效至 ${t(f.validTo)}。請在主控台為廠商人員產生一次性取件連結（密碼只由廠商本人取得）。`,
          en: `Account ${user} is made and active until ${t(f.validTo)}. Make the vendor person's one-time pickup link in the console (only they see the password).`,
        };
      return {
        zh: `帳號 ${user} 已建立並啟用，有效至 ${t(f.validTo)}。一次性初始密碼請至主控台取得（只能取得一次）。`,
        en: `Account ${user} is made and active until ${t(f.validTo)}. Fetch its one-time initial password in the console (it can be fetched once).`,
      };
    case 'failed':
      return {
        zh: `帳號建立失敗：${f.reason ?? '—'}。管理員可在主控台重試。`,
        en: `The account could not be made: ${f.reason ?? '—'}. An admin may retry it in the console.`,
      };
    case 'reminder':
      return { zh: `帳號 ${user} 將於 ${t(f.validTo)} 到期並停用。`, en: `Account ${user} expires and is disabled at ${t(f.validTo)}.` };
  }
}

/** `2026-12-06 16:30 (Asia/Taipei)`: one unambiguous form for both languages. */
export function formatTime(iso: string, timeZone: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  const parts = new Intl.DateTimeFormat('sv-SE', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit' }).format(d);
  return `${parts} (${timeZone})`;
}

/** A console route under PUBLIC_URL (web/src/app.tsx: /requests/:id, /sessions/:id, /room-visits). */
export function consoleLink(publicUrl: string, route: string): string {
  return `${publicUrl.replace(/\/+$/, '')}${route}`;
}

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
/** Header values never carry a line break (header injection) and stay short. */
const oneLine = (s: string) => s.replace(/[\r\n\t]+/g, ' ').slice(0, 200);

interface Section {
  lead: string;
  rows: [string, string][];
  /** Lines listed under the rows (digest items). */
  items?: { heading: string; lines: { text: string; href?: string }[]; empty: string }[];
  linkLabel: string;
  href: string;
}

function render(subject: string, to: string, zh: Section, en: Section): OutgoingMail {
  const textOf = (s: Section) =>
    [
      s.lead,
      '',
      ...s.rows.map(([k, v]) => `${k}: ${v}`),
      ...(s.items ?? []).flatMap((i) => [
        '',
        `${i.heading}`,
        ...(i.lines.length ? i.lines.map((l) => `- ${l.text}${l.href ? `  ${l.href}` : ''}`) : [`  ${i.empty}`]),
      ]),
      '',
      `${s.linkLabel}: ${s.href}`,
    ].join('\n');
  const htmlOf = (s: Section, lang: string) =>
    `<div lang="${lang}"><p>${escapeHtml(s.lead)}</p>` +
    (s.rows.length ? `<table>${s.rows.map(([k, v]) => `<tr><th align="left">${escapeHtml(k)}</th><td>${escapeHtml(v)}</td></tr>`).join('')}</table>` : '') +
    (s.items ?? [])
      .map(
        (i) =>
          `<h3>${escapeHtml(i.heading)}</h3>` +
          (i.lines.length
            ? `<ul>${i.lines.map((l) => `<li>${l.href ? `<a href="${escapeHtml(l.href)}">${escapeHtml(l.text)}</a>` : escapeHtml(l.text)}</li>`).join('')}</ul>`
            : `<p>${escapeHtml(i.empty)}</p>`),
      )
      .join('') +
    `<p><a href="${escapeHtml(s.href)}">${escapeHtml(s.linkLabel)}</a></p></div>`;
  return {
    to,
    subject: oneLine(subject),
    text: `${textOf(zh)}\n\n----\n\n${textOf(en)}\n`,
    html: `<!doctype html><html><body>${htmlOf(zh, 'zh-Hant-TW')}<hr>${htmlOf(en, 'en')}</body></html>`,
  };
}

/** One mail about one request, Traditional Chinese first, then English, with a link to the request in the console. */
export function requestMail(event: RequestMailEvent, facts: RequestMailFacts, to: string, settings: MailSettings): OutgoingMail {
  const t = (iso: string) => formatTime(iso, settings.timeZone);
  const l = lead(event, facts, t, settings.handover);
  const href = consoleLink(settings.publicUrl, `/requests/${encodeURIComponent(facts.id)}`);
  const groups = facts.groups.map(nameFromDn).join(', ');
  const valid = `${t(facts.validFrom)} – ${t(facts.validTo)}`;
  const exceptionRows = (lang: Lang): [string, string][] =>
    facts.exception
      ? [
          [lang === 'zh' ? '例外理由' : 'Exception justification', facts.exception.justification ?? '—'],
          [lang === 'zh' ? '簽呈文號' : 'Memo reference', facts.exception.memoRef ?? '—'],
        ]
      : [];
  const rows = (lang: Lang): [string, string][] => [
    [lang === 'zh' ? '申請編號' : 'Request', facts.id],
    [lang === 'zh' ? '廠商' : 'Vendor', facts.vendorName],
    [lang === 'zh' ? '人員' : 'Person', facts.personName],
    [lang === 'zh' ? '申請人' : 'Requester', facts.requester],
    [lang === 'zh' ? '工作內容' : 'Work', facts.workDescription],
    [lang === 'zh' ? '目標系統' : 'Target systems', facts.targetSystems.join(', ')],
    [lang === 'zh' ? '群組' : 'Groups', groups],
    [lang === 'zh' ? '有效期間' : 'Valid', valid],
    ...(facts.username ? [[lang === 'zh' ? '帳號' : 'Account', facts.username] as [string, string]] : []),
    ...exceptionRows(lang),
  ];
  const subject = `[Leasehold] ${REQUEST_SUBJECT[event].zh} / ${REQUEST_SUBJECT[event].en}: ${facts.personName} (${facts.vendorName})`;
  return render(
    subject,
    to,
    { lead: l.zh, rows: rows('zh'), linkLabel: '在主控台開啟', href },
    { lead: l.en, rows: rows('en'), linkLabel: 'Open in the console', href },
  );
}

/** The auditors' daily digest: sessions awaiting review, overdue reviews, the machine-room register's overdue review. */
export function digestMail(facts: DigestFacts, to: string, settings: MailSettings): OutgoingMail {
  const t = (iso: string) => formatTime(iso, settings.timeZone);
  const link = (id: string) => consoleLink(settings.publicUrl, `/sessions/${encodeURIComponent(id)}`);
  const line = (s: DigestSession, lang: Lang) => ({
    text:
      `${s.account} @ ${s.source}, ${t(s.firstAt)}` +
      (s.reviewDueAt ? (lang === 'zh' ? `，應於 ${t(s.reviewDueAt)} 前審閱` : `, review due ${t(s.reviewDueAt)}`) : '') +
      (s.flags.length ? (lang === 'zh' ? `（標記：${s.flags.join(', ')}）` : ` (flags: ${s.flags.join(', ')})`) : ''),
    href: link(s.id),
  });
  const more = (lang: Lang, yes: boolean) => (yes ? [{ text: lang === 'zh' ? '……尚有更多，請見主控台' : '… and more, see the console' }] : []);
  const room = facts.room;
  const section = (lang: Lang): Section => ({
    lead:
      lang === 'zh'
        ? `${facts.day} 稽核每日摘要：${facts.awaiting.length}${facts.moreAwaiting ? '+' : ''} 個工作階段待審閱，其中 ${facts.overdue.length}${facts.moreOverdue ? '+' : ''} 個已逾期。`
        : `Audit digest for ${facts.day}: ${facts.awaiting.length}${facts.moreAwaiting ? '+' : ''} sessions await review, ${facts.overdue.length}${facts.moreOverdue ? '+' : ''} of them overdue.`,
    rows: [],
    items: [
      {
        heading: lang === 'zh' ? '逾期未審閱' : 'Overdue reviews',
        lines: [...facts.overdue.map((s) => line(s, lang)), ...more(lang, facts.moreOverdue)],
        empty: lang === 'zh' ? '無' : 'None',
      },
      {
        heading: lang === 'zh' ? '待審閱的工作階段' : 'Sessions awaiting review',
        lines: [...facts.awaiting.map((s) => line({ ...s, reviewDueAt: undefined }, lang)), ...more(lang, facts.moreAwaiting)],
        empty: lang === 'zh' ? '無' : 'None',
      },
      {
        heading: lang === 'zh' ? '機房進出登記定期審閱' : 'Machine-room register review',
        lines: room
          ? [
              {
                text:
                  lang === 'zh'
                    ? `自 ${t(room.periodStart)} 起的期間應於 ${t(room.dueAt)} 前審閱，已逾期`
                    : `The period from ${t(room.periodStart)} was due for review by ${t(room.dueAt)} and is overdue`,
                href: consoleLink(settings.publicUrl, '/room-visits'),
              },
            ]
          : [],
        empty: lang === 'zh' ? '無逾期' : 'Nothing overdue',
      },
    ],
    linkLabel: lang === 'zh' ? '在主控台開啟工作階段' : 'Open the sessions in the console',
    href: consoleLink(settings.publicUrl, '/sessions'),
  });
  const subject =
    `[Leasehold] 稽核每日摘要 / Daily audit digest ${facts.day}: ` +
    `${facts.awaiting.length}${facts.moreAwaiting ? '+' : ''} 待審 awaiting, ${facts.overdue.length}${facts.moreOverdue ? '+' : ''} 逾期 overdue` +
    (room ? ', 機房登記逾期 room register overdue' : '');
  return render(subject, to, section('zh'), section('en'));
}
