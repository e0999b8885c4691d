import type { EvidencePack, EvidenceProof, EvidenceRequest, EvidenceRoomVisits } from './evidence-pack.schema.js';
import { codeLabel, evidenceLabels, type EvidenceLabels, type EvidenceLang } from './evidence-labels.js';
import { EVIDENCE_CSS } from './evidence-style.js';

/** How a pack is printed: its language and the time zone its times are shown in. */
export interface RenderOptions {
  lang: EvidenceLang;
  timeZone: string;
}

/** Escapes text for HTML content and quoted attributes: every value of a pack goes through it (names can hold anything). */
export function escapeHtml(value: string | number | null | undefined): string {
  return String(value ?? '').replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** A duration in the largest units that keep it readable: 850 ms, 4.2 s, 3 min 5 s, 2 h 10 min, 3 d 4 h. */
export function formatDuration(ms: number): string {
  const a = Math.abs(ms);
  if (a < 1000) return `${a} ms`;
  if (a < 60_000) return `${(a / 1000).toFixed(1)} s`;
  const s = Math.floor(a / 1000);
  if (a < 3_600_000) return `${Math.floor(s / 60)} min ${s % 60} s`;
  if (a < 86_400_000) return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
  return `${Math.floor(s / 86_400)} d ${Math.floor((s % 86_400) / 3600)} h`;
}

/**
 * The pack as one printable, self-contained HTML document: inline styles
 * only (evidence-style.ts; allowed by their hash in EVIDENCE_CSP), no
 * script, no image, no link to load; every value escaped.
 */
export function renderEvidenceHtml(pack: EvidencePack, options: RenderOptions): string {
  return new Renderer(options).document(pack);
}

class Renderer {
  private readonly l: EvidenceLabels;
  private readonly clock: Intl.DateTimeFormat;

  constructor(private readonly o: RenderOptions) {
    this.l = evidenceLabels(o.lang);
    this.clock = new Intl.DateTimeFormat('sv-SE', {
      timeZone: o.timeZone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
      hourCycle: 'h23',
    });
  }

  document(pack: EvidencePack): string {
    const { l } = this;
    const subtitle =
      pack.kind === 'request'
        ? this.fill(l.requestSubtitle, { id: pack.request.form.id })
        : this.fill(l.vendorSubtitle, { name: pack.vendor.name, from: this.when(pack.period.from), to: this.when(pack.period.to) });
    const requests = pack.kind === 'request' ? [pack.request] : pack.requests;
    const ok = pack.proof.verification.ok;
    return `<!doctype html>
<html lang="${escapeHtml(l.htmlLang)}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(`${l.title} — ${subtitle}`)}</title>
<style>${EVIDENCE_CSS}</style>
</head>
<body class="pack-${pack.kind}">
<header class="cover">
<h1>${escapeHtml(l.title)}</h1>
<p class="subtitle">${escapeHtml(subtitle)}</p>
<p class="basis">${escapeHtml(l.basis)}</p>
${this.dl([
  [l.generatedAt, escapeHtml(this.when(pack.generatedAt))],
  [l.generatedBy, escapeHtml(pack.generatedBy)],
  [l.timeZone, escapeHtml(this.o.timeZone)],
  [l.proofVerdict, `<strong>${escapeHtml(ok ? l.verifiedOk : l.verifiedFailed)}</strong>`],
])}
${pack.kind === 'vendor' ? this.vendorCover(pack) : ''}
</header>
${requests.map((r) => this.request(r)).join('\n')}
${this.proof(pack.proof)}
<footer>${escapeHtml(`Leasehold · ${l.title} · ${this.when(pack.generatedAt)}`)}</footer>
</body>
</html>
`;
  }

  private vendorCover(pack: Extract<EvidencePack, { kind: 'vendor' }>): string {
    const { l } = this;
    const v = pack.vendor;
    const p = pack.page;
    const rows = pack.requests.map((r) => [
      escapeHtml(r.form.id),
      escapeHtml(r.person.fullName ?? r.person.id),
      escapeHtml(codeLabel(this.o.lang, r.form.status)),
      escapeHtml(`${this.when(r.form.validFrom)} – ${this.when(r.form.validTo)}`),
    ]);
    return `${this.dl([
      [l.vendor, escapeHtml(v.name)],
      [l.contract, escapeHtml(`${v.contractRef} / ${this.when(v.contractEndsAt)}`)],
      [l.vendorStatus, escapeHtml(codeLabel(this.o.lang, v.status) + (v.terminatedAt ? ` ${this.when(v.terminatedAt)} ${v.terminationReason ?? ''}` : ''))],
    ])}
<h2>${escapeHtml(l.contents)}</h2>
<p>${escapeHtml(p.total === 0 ? l.none : this.fill(l.pageNote, { total: p.total, first: p.returned ? p.offset + 1 : 0, last: p.offset + p.returned }))}</p>
${p.truncated ? `<p class="note">${escapeHtml(this.fill(l.pageTruncated, { more: p.total - p.offset - p.returned, cursor: p.nextCursor ?? '' }))}</p>` : ''}
${rows.length ? this.table([l.requestId, l.person, l.status, l.validity], rows) : ''}
<h3>${escapeHtml(l.rooms)}</h3>
${this.rooms(pack.roomVisits)}`;
  }

  private request(r: EvidenceRequest): string {
    const { l } = this;
    const f = r.form;
    return `<section class="request">
<h2>${escapeHtml(`${this.fill(l.requestSubtitle, { id: f.id })} — ${codeLabel(this.o.lang, f.status)}`)}</h2>
<h3>${escapeHtml(l.form)}</h3>
${this.dl([
  [l.requestId, `<code>${escapeHtml(f.id)}</code>`],
  [l.status, escapeHtml(codeLabel(this.o.lang, f.status))],
  [l.requester, escapeHtml(f.requester)],
  [l.filedAt, escapeHtml(this.when(f.createdAt))],
  [l.work, escapeHtml(f.workDescription)],
  [l.targets, this.list(f.targetSystems)],
  [l.groups, this.list(f.groups, true)],
  [l.validity, escapeHtml(`${this.when(f.validFrom)} – ${this.when(f.validTo)}`)],
])}
<h3>${escapeHtml(l.vendorPerson)}</h3>
${this.dl([
  [l.vendor, escapeHtml(`${r.vendor.name} (${codeLabel(this.o.lang, r.vendor.status)})`)],
  [l.contract, escapeHtml(`${r.vendor.contractRef} / ${this.when(r.vendor.contractEndsAt)}`)],
  [l.person, escapeHtml(r.person.fullName ?? l.erased)],
  ...(r.person.latinName ? [[l.latinName, escapeHtml(r.person.latinName)] as [string, string]] : []),
  ...(r.person.email ? [[l.email, escapeHtml(r.person.email)] as [string, string]] : []),
  ...(r.person.phone ? [[l.phone, escapeHtml(r.person.phone)] as [string, string]] : []),
  [l.nda, escapeHtml(`${r.person.ndaRef} / ${this.when(r.person.ndaSignedAt)}`)],
  [
    l.personStatus,
    escapeHtml(codeLabel(this.o.lang, r.person.status) + (r.person.departedAt ? ` ${this.when(r.person.departedAt)} ${r.person.departureReason ?? ''}` : '')),
  ],
  ...(r.person.erasedAt ? [[l.erased, escapeHtml(this.when(r.person.erasedAt))] as [string, string]] : []),
])}
<h3>${escapeHtml(l.decisions)}</h3>
${this.decisions(r.decisions)}
${r.exception ? this.exception(r.exception) : ''}
<h3>${escapeHtml(l.account)}</h3>
${this.account(r)}
<h3>${escapeHtml(l.revocation)}</h3>
${this.revocation(r.revocation)}
<h3>${escapeHtml(l.sessions)}</h3>
${this.sessions(r.sessions)}
<h3>${escapeHtml(l.incidents)}</h3>
${this.incidents(r.incidents)}
<h3>${escapeHtml(l.rooms)}</h3>
${this.rooms(r.roomVisits)}
</section>`;
  }

  private decisions(items: EvidenceRequest['decisions']): string {
    const { l } = this;
    if (!items.length) return `<p>${escapeHtml(l.none)}</p>`;
    return this.table(
      [l.kind, l.by, l.at, l.role, l.comment],
      items.map((d) => [codeLabel(this.o.lang, d.kind), d.by, this.when(d.at), d.role ?? '', d.comment ?? ''].map(escapeHtml)),
    );
  }

  private exception(e: NonNullable<EvidenceRequest['exception']>): string {
    const { l } = this;
    return `<h3>${escapeHtml(l.exception)}</h3>
${this.dl([
  [l.justification, escapeHtml(e.justification)],
  [l.memoRef, escapeHtml(e.memoRef)],
  [l.rules, this.list(e.rules, true)],
])}
<p><strong>${escapeHtml(l.exceptionApprovals)}</strong></p>
${this.decisions(e.approvals)}`;
  }

  private account(r: EvidenceRequest): string {
    const { l } = this;
    const a = r.account;
    const facts = a
      ? this.dl([
          [l.username, `<code>${escapeHtml(a.username)}</code>`],
          [l.dn, `<code>${escapeHtml(a.dn ?? '')}</code>`],
          [l.accountState, escapeHtml(codeLabel(this.o.lang, a.state))],
          [l.created, escapeHtml(this.when(a.createdAt))],
          [l.enabled, escapeHtml(this.when(a.enabledAt))],
          [l.disabled, escapeHtml(this.when(a.disabledAt))],
          [l.deleted, escapeHtml(this.when(a.deletedAt))],
        ])
      : `<p>${escapeHtml(l.none)}</p>`;
    const history = this.table(
      [l.at, l.action, l.actor, l.change, l.note],
      r.history.map((h) => [this.when(h.at), h.action, h.actor, h.from || h.to ? `${h.from ?? ''} → ${h.to ?? ''}` : '', h.note ?? ''].map(escapeHtml)),
    );
    const confirmations = r.directoryConfirmations.length
      ? this.table(
          [l.seq, l.at, l.action, l.outcome, l.dn],
          r.directoryConfirmations.map((c) => [
            escapeHtml(c.seq),
            escapeHtml(this.when(c.at)),
            escapeHtml(c.action),
            escapeHtml(codeLabel(this.o.lang, c.outcome)),
            `<code>${escapeHtml(c.dn ?? '')}</code>`,
          ]),
        )
      : `<p>${escapeHtml(l.none)}</p>`;
    return `${facts}
<p><strong>${escapeHtml(l.confirmations)}</strong></p>
${confirmations}
<p><strong>${escapeHtml(l.history)}</strong></p>
${history}`;
  }

  private revocation(v: EvidenceRequest['revocation']): string {
    const { l } = this;
    if (!v) return `<p>${escapeHtml(l.notRevoked)}</p>`;
    const lag = v.lagMs === null ? '—' : v.lagMs < 0 ? this.fill(l.lagEarly, { d: formatDuration(v.lagMs) }) : formatDuration(v.lagMs);
    return this.dl([
      [l.revocationState, escapeHtml(codeLabel(this.o.lang, v.state))],
      [l.trigger, escapeHtml(codeLabel(this.o.lang, v.trigger))],
      [l.by, escapeHtml(v.by ?? '—')],
      [l.requestedAt, escapeHtml(this.when(v.requestedAt))],
      ...(v.reason ? [[l.note, escapeHtml(v.reason)] as [string, string]] : []),
      [l.dueAt, escapeHtml(this.when(v.dueAt))],
      [l.doneAt, escapeHtml(this.when(v.doneAt))],
      [l.lag, `<strong>${escapeHtml(lag)}</strong>`],
    ]);
  }

  private sessions(s: EvidenceRequest['sessions']): string {
    const { l } = this;
    if (!s.items.length) return `<p>${escapeHtml(l.noSessions)}</p>`;
    const rows = s.items.map((x) => [
      `<code>${escapeHtml(x.id)}</code><br>${escapeHtml(x.account)}`,
      escapeHtml([x.source, ...x.sourceIps].join(' · ')),
      escapeHtml(x.targets.join(', ')),
      escapeHtml(`${this.when(x.firstAt)} – ${this.when(x.endedAt ?? x.lastAt)}`),
      escapeHtml(x.eventCount),
      x.flags.length
        ? `<ul class="plain">${x.flags.map((f) => `<li>${escapeHtml(`${codeLabel(this.o.lang, f.code)}: ${f.detail}`)}</li>`).join('')}</ul>`
        : escapeHtml(l.none),
      x.review
        ? escapeHtml(`${codeLabel(this.o.lang, x.review.verdict)} · ${x.review.by} · ${this.when(x.review.at)}${x.review.note ? ` · ${x.review.note}` : ''}`)
        : `<strong>${escapeHtml(l.unreviewed)}</strong>`,
    ]);
    return `${this.table([l.session, l.source, l.targets, l.period, l.events, l.flags, l.review], rows)}
${s.truncated ? `<p class="note">${escapeHtml(this.fill(l.truncated, { n: s.items.length }))}</p>` : ''}`;
  }

  private incidents(items: EvidenceRequest['incidents']): string {
    const { l } = this;
    if (!items.length) return `<p>${escapeHtml(l.noIncidents)}</p>`;
    return items
      .map(
        (i) => `${this.dl([
          [l.incident, `<code>${escapeHtml(i.id)}</code> (${escapeHtml(l.session)} <code>${escapeHtml(i.sessionId)}</code>)`],
          [l.status, escapeHtml(codeLabel(this.o.lang, i.status))],
          [l.flags, escapeHtml(i.flags.map((f) => codeLabel(this.o.lang, f)).join(', '))],
          [l.opened, escapeHtml(`${i.openedBy} · ${this.when(i.openedAt)}`)],
          [l.escalation, escapeHtml(i.escalationNote)],
          [l.handling, escapeHtml(i.handlingNote ?? '—')],
        ])}
${this.table(
  [l.at, l.by, l.status, l.handling],
  i.history.map((h) => [this.when(h.at), h.by, codeLabel(this.o.lang, h.status), h.handlingNote ?? ''].map(escapeHtml)),
)}`,
      )
      .join('\n');
  }

  private rooms(v: EvidenceRoomVisits): string {
    const { l } = this;
    if (!v.available) return `<p class="note">${escapeHtml(l.roomsUnavailable)}</p>`;
    if (!v.items.length) return `<p>${escapeHtml(l.noRooms)}</p>`;
    const media = (items: { kind: string; description: string; serial?: string }[] | undefined) =>
      escapeHtml((items ?? []).map((m) => `${m.kind}: ${m.description}${m.serial ? ` (${m.serial})` : ''}`).join('; ') || '—');
    const rows = v.items.map((x) => [
      escapeHtml(`${x.room} · ${x.purpose}`),
      escapeHtml(x.escortedBy),
      escapeHtml(`${this.when(x.enteredAt)} – ${x.exitedAt ? this.when(x.exitedAt) : l.stillInside}`),
      media(x.media),
      media(x.mediaOut),
      escapeHtml(x.flags.map((f) => `${codeLabel(this.o.lang, f.code)}: ${f.kind} ${f.description}`).join('; ') || '—'),
    ]);
    return `${this.table([`${l.room} · ${l.purpose}`, l.escort, l.period, l.mediaIn, l.mediaOut, l.flags], rows)}
${v.truncated ? `<p class="note">${escapeHtml(this.fill(l.truncated, { n: v.items.length }))}</p>` : ''}`;
  }

  private proof(p: EvidenceProof): string {
    const { l } = this;
    const v = p.verification;
    const facts: [string, string][] = [
      [l.verification, `<strong>${escapeHtml(v.ok ? l.verifiedOk : l.verifiedFailed)}</strong> · ${escapeHtml(this.when(v.verifiedAt))}`],
      [l.range, escapeHtml(v.fromSeq === null ? l.none : this.fill(l.rangeText, { from: v.fromSeq, to: v.head?.seq ?? '—', count: v.count }))],
      [l.head, v.head ? `${escapeHtml(`seq ${v.head.seq}`)}<br><code>${escapeHtml(v.head.hash)}</code>` : '—'],
      ...(v.ok
        ? []
        : ([
            [l.firstBad, escapeHtml(v.firstBadSeq)],
            [l.reason, escapeHtml(v.reason)],
          ] as [string, string][])),
    ];
    const rows = p.events.map((e) => [
      escapeHtml(e.seq),
      escapeHtml(this.when(e.at)),
      escapeHtml(e.actor),
      escapeHtml(e.action),
      `<code>${escapeHtml(e.subject)}</code>`,
      escapeHtml(codeLabel(this.o.lang, e.outcome)),
      `<code>${escapeHtml(e.hash)}</code><br><code>${escapeHtml(e.prevHash)}</code>`,
    ]);
    return `<section class="proof">
<h2>${escapeHtml(l.proof)}</h2>
<p>${escapeHtml(this.fill(l.proofIntro, { subjects: p.subjects.join(', ') }))}</p>
<p class="verdict ${v.ok ? 'ok' : 'failed'}">${escapeHtml(`${l.proofVerdict}: ${v.ok ? l.verifiedOk : l.verifiedFailed}`)}</p>
${this.dl(facts)}
<h3>${escapeHtml(this.fill(l.proofEvents, { n: p.eventCount }))}</h3>
${p.truncated ? `<p class="note">${escapeHtml(this.fill(l.proofTruncated, { total: p.eventCount, n: p.events.length }))}</p>` : ''}
${rows.length ? this.table([l.seq, l.at, l.actor, l.action, l.subject, l.outcome, l.hash], rows) : `<p>${escapeHtml(l.noEvents)}</p>`}
</section>`;
  }

  /** A definition list; values are HTML already escaped by the caller. */
  private dl(rows: [string, string][]): string {
    return `<dl>${rows.map(([k, v]) => `<dt>${escapeHtml(k)}</dt><dd>${v}</dd>`).join('')}</dl>`;
  }

  /** A table; cells are HTML already escaped by the caller. */
  private table(headers: string[], rows: string[][]): string {
    return `<table><thead><tr>${headers.map((h) => `<th>${escapeHtml(h)}</th>`).join('')}</tr></thead><tbody>${rows
      .map((r) => `<tr>${r.map((c) => `<td>${c}</td>`).join('')}</tr>`)
      .join('')}</tbody></table>`;
  }

  private list(items: string[], code = false): string {
    if (!items.length) return escapeHtml(this.l.none);
    return `<ul class="plain">${items.map((i) => `<li>${code ? `<code>${escapeHtml(i)}</code>` : escapeHtml(i)}</li>`).join('')}</ul>`;
  }

  /** A time in the service's zone, `2026-12-06 22:30:05`; an absent time as a dash. */
  private when(iso: string | null | undefined): string {
    if (!iso) return '—';
    const t = Date.parse(iso);
    return Number.isNaN(t) ? iso : this.clock.format(t);
  }

  /** A label with `{name}` placeholders filled (as text: the caller escapes the result). */
  private fill(label: string, vars: Record<string, string | number>): string {
    return label.replace(/\{(\w+)\}/g, (m, k: string) => (k in vars ? String(vars[k]) : m));
  }
}
