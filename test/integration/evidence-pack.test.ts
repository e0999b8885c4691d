import { execFile } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { EVIDENCE_CSP } from '../../src/evidence/evidence-style.js';
import type { RequestEvidencePack, VendorEvidencePack } from '../../src/evidence/evidence-pack.schema.js';
import { childDn } from '../../src/provisioner/ldap/escape.js';
import { probe } from '../support/directory-probe.js';
import { auditedEvent, auditTrail, fileRequest, untilStatus } from '../support/fixtures.js';
import { eventually, type apiClient, type TestService } from '../support/service-harness.js';
import { useSlapdService } from '../support/slapd-service.js';

const DAY = 86_400_000;
const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'];
/** A hostile name: it must reach the printed page as text. */
const NAME = '陳大文 <b onclick="x()">Tan</b> & "Co"';
/** When set (npm run evidence:sample), the PDF and a PNG of its first page are written there: docs/evidence. */
const DOCS = process.env.LEASEHOLD_EVIDENCE_DOCS;

/** Page 1 of the PDF as a PNG: rasterised by poppler's pdftoppm where installed, else Chromium's print view of the same page. */
async function pngOfFirstPage(pdfPath: string, pngPath: string, page: Page): Promise<void> {
  try {
    await promisify(execFile)('pdftoppm', ['-png', '-r', '80', '-f', '1', '-l', '1', '-singlefile', pdfPath, pngPath.replace(/\.png$/, '')]);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    await page.emulateMedia({ media: 'print' });
    await page.screenshot({ path: pngPath, clip: { x: 0, y: 0, width: 794, height: 1123 } });
  }
}

/**
 * Clause 1.1.4 over HTTP against slapd and Redis: one request's whole life
 * (file, approve, provision, the vendor binds, a session with a privileged
 * command, review and incident, early revocation), then its evidence pack —
 * as JSON, as HTML, as a PDF printed by Chromium — and the proof failing once
 * an audit event in Redis is edited.
 */
describe('evidence packs', () => {
  const f = useSlapdService('evid');
  const group = childDn('cn', 'erp-support', inject('slapd').groupsOu);
  let svc: TestService;
  let api: ReturnType<typeof apiClient>;
  let browser: Browser;
  const ids = { vendorId: '', personId: '', requestId: '', sessionId: '', incidentId: '', visitId: '', username: '', dn: '' };

  beforeAll(async () => {
    ({ svc, api } = f);
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true });
    const t = svc.tokens;
    const vendor = await api('POST', '/v1/vendors', t.requester, {
      name: 'Evidence Systems',
      contractRef: 'CT-2026-07',
      contractEndsAt: new Date(Date.now() + 90 * DAY).toISOString(),
    });
    expect(vendor.status, JSON.stringify(vendor.body)).toBe(201);
    ids.vendorId = vendor.body.id;
    const person = await api('POST', `/v1/vendors/${ids.vendorId}/people`, t.requester, {
      fullName: NAME,
      latinName: 'Chen Da-Wen',
      email: 'chen@evidence.test',
      ndaSignedAt: new Date(Date.now() - DAY).toISOString(),
      ndaRef: 'NDA-2026-114',
    });
    expect(person.status, JSON.stringify(person.body)).toBe(201);
    ids.personId = person.body.id;
    ids.requestId = await fileRequest(api, svc, ids.personId, group);
    const active = await untilStatus(api, svc, ids.requestId, 'active');
    ids.username = active.account.username;
    ids.dn = active.account.dn;
    const credential = await api('POST', `/v1/requests/${ids.requestId}/credentials`, t.requester, {});
    expect(credential.status, JSON.stringify(credential.body)).toBe(200);
    expect(await probe.canBind(f.target, ids.dn, credential.body.password)).toBe(true);

    const at = new Date().toISOString();
    const posted = await api('POST', '/v1/session-events', t.logSource, {
      events: [
        { source: 'bastion-1', account: ids.username, type: 'login', at, target: 'erp-app01', sourceIp: '10.0.0.7', sourceSessionId: 'ev1' },
        { source: 'bastion-1', account: ids.username, type: 'command', at, target: 'erp-app01', sourceSessionId: 'ev1', detail: 'sudo -i' },
      ],
    });
    expect(posted.status, JSON.stringify(posted.body)).toBe(202);
    ids.sessionId = await eventually(
      async () => (await api('GET', `/v1/sessions?requestId=${ids.requestId}`, t.auditor)).body.items[0]?.id as string | undefined,
    );
    const review = await api('POST', `/v1/sessions/${ids.sessionId}/review`, t.auditor, { verdict: 'escalate', note: 'root shell on the ERP host' });
    expect(review.status, JSON.stringify(review.body)).toBe(200);
    ids.incidentId = review.body.incident.id;
    const handled = await api('PATCH', `/v1/incidents/${ids.incidentId}`, t.auditor, {
      status: 'resolved',
      handlingNote: 'vendor warned; change ticket filed late',
    });
    expect(handled.status, JSON.stringify(handled.body)).toBe(200);
    const visit = await api('POST', '/v1/room-visits', t.requester, {
      personId: ids.personId,
      requestId: ids.requestId,
      room: 'B1 machine room',
      purpose: 'swap a disk in erp-app01',
      escortedBy: 'ops-kim',
      media: [{ kind: 'usb', description: 'Kingston 32 GB', serial: 'KS-1' }],
    });
    expect(visit.status, JSON.stringify(visit.body)).toBe(201);
    ids.visitId = visit.body.id;
    expect((await api('POST', `/v1/room-visits/${ids.visitId}/exit`, t.requester, { mediaOut: [] })).status).toBe(200);
    expect((await api('POST', `/v1/requests/${ids.requestId}/revoke`, t.approver, { reason: 'work finished early' })).status).toBe(202);
    await untilStatus(api, svc, ids.requestId, 'revoked');
    expect(await probe.canBind(f.target, ids.dn, credential.body.password)).toBe(false);
  });

  afterAll(async () => {
    await browser?.close();
  });

  it('is for auditors and admins only, and 404 for a request that does not exist', async () => {
    const t = svc.tokens;
    expect((await api('GET', `/v1/requests/${ids.requestId}/evidence`, t.requester)).status).toBe(403);
    expect((await api('GET', `/v1/requests/${ids.requestId}/evidence`, t.approver)).status).toBe(403);
    expect((await api('GET', `/v1/requests/${ids.requestId}/evidence?format=json`, t.admin)).status).toBe(200);
    expect((await api('GET', '/v1/requests/req_nope/evidence?format=json', t.auditor)).status).toBe(404);
    const bad = await api('GET', `/v1/requests/${ids.requestId}/evidence?format=pdf`, t.auditor);
    expect(bad.status).toBe(400);
    expect(bad.body.error.details.map((d: { field: string }) => d.field)).toContain('query.format');
  });

  it('holds every section of the request with the values the lifecycle recorded, and a proof that verifies', async () => {
    const reply = await api<RequestEvidencePack>('GET', `/v1/requests/${ids.requestId}/evidence?format=json`, svc.tokens.auditor);
    expect(reply.status, JSON.stringify(reply.body)).toBe(200);
    const { request: r, proof } = reply.body;
    expect(r.form).toMatchObject({
      id: ids.requestId,
      status: 'revoked',
      requester: 'requester',
      workDescription: 'maintenance',
      targetSystems: ['erp-app01'],
      groups: [group],
    });
    expect(r.vendor).toMatchObject({ id: ids.vendorId, name: 'Evidence Systems', contractRef: 'CT-2026-07' });
    expect(r.person).toMatchObject({ id: ids.personId, fullName: NAME, ndaRef: 'NDA-2026-114', email: 'chen@evidence.test' });
    expect(r.decisions).toEqual([expect.objectContaining({ kind: 'approval', by: 'approver', role: 'approver' })]);
    expect(r.exception).toBeNull();
    expect(r.account).toMatchObject({ username: ids.username, dn: ids.dn, state: 'disabled' });
    expect(r.directoryConfirmations.map((c) => c.action)).toEqual(expect.arrayContaining(['account.created', 'account.disabled']));
    for (const c of r.directoryConfirmations) expect(c.dn).toBe(ids.dn);
    expect(r.history.map((h) => h.to).filter(Boolean)).toEqual(expect.arrayContaining(['pending', 'approved', 'provisioning', 'active', 'revoked']));

    const v = r.revocation!;
    expect(v).toMatchObject({ state: 'done', trigger: 'manual', by: 'approver', reason: 'work finished early', doneAt: r.account!.disabledAt });
    expect(v.dueAt).toBe(v.requestedAt);
    expect(v.lagMs).toBe(Date.parse(v.doneAt!) - Date.parse(v.dueAt));
    expect(v.lagMs).toBeGreaterThanOrEqual(0);
    expect(v.lagMs).toBeLessThan(10_000);

    expect(r.sessions).toMatchObject({ truncated: false, items: [{ id: ids.sessionId, account: ids.username, eventCount: 2 }] });
    expect(r.sessions.items[0]!.flags.map((x) => x.code)).toContain('privileged_command');
    expect(r.sessions.items[0]!.review).toMatchObject({ verdict: 'escalate', by: 'auditor', incidentId: ids.incidentId, note: 'root shell on the ERP host' });
    expect(r.incidents).toEqual([
      expect.objectContaining({ id: ids.incidentId, sessionId: ids.sessionId, status: 'resolved', handlingNote: 'vendor warned; change ticket filed late' }),
    ]);
    expect(r.roomVisits).toMatchObject({ available: true, truncated: false });
    expect(r.roomVisits.items).toEqual([
      expect.objectContaining({
        id: ids.visitId,
        requestId: ids.requestId,
        escortedBy: 'ops-kim',
        media: [{ kind: 'usb', description: 'Kingston 32 GB', serial: 'KS-1' }],
        mediaOut: [],
        flags: [expect.objectContaining({ code: 'not_taken_out', serial: 'KS-1' })],
      }),
    ]);

    // The proof: the events of the request, the person, the vendor, the session and the incident, as Redis holds them.
    expect(proof.subjects).toEqual(
      expect.arrayContaining([
        `request:${ids.requestId}`,
        `person:${ids.personId}`,
        `vendor:${ids.vendorId}`,
        `session:${ids.sessionId}`,
        `incident:${ids.incidentId}`,
        `room-visit:${ids.visitId}`,
      ]),
    );
    const stored = new Map((await auditTrail(svc)).map((e) => [e.seq, e as unknown as { hash: string; action: string }]));
    for (const e of proof.events) expect(stored.get(e.seq)?.hash, `seq ${e.seq}`).toBe(e.hash);
    expect(proof.events.map((e) => e.action)).toEqual(
      expect.arrayContaining([
        'vendor.created',
        'person.registered',
        'request.filed',
        'account.created',
        'account.disabled',
        'session.reviewed',
        'incident.opened',
        'incident.updated',
        'room.visit.entered',
      ]),
    );
    expect(proof.verification).toMatchObject({ ok: true, fromSeq: Math.min(...proof.events.map((e) => e.seq)) });
    const head = proof.verification.head!;
    expect(stored.get(head.seq)?.hash).toBe(head.hash);
    expect(head.seq).toBeGreaterThanOrEqual(Math.max(...proof.events.map((e) => e.seq)));

    const exported = await auditedEvent(svc, 'evidence.exported', ids.requestId);
    expect(exported).toMatchObject({ subject: `request:${ids.requestId}`, details: { kind: 'request', format: 'json', proofOk: true } });
    for (const personal of ['陳大文', 'Chen Da-Wen', 'chen@evidence.test']) expect(JSON.stringify(exported)).not.toContain(personal);
  });

  it('covers the vendor’s requests overlapping a period, and none outside it', async () => {
    const from = new Date(Date.now() - DAY).toISOString();
    const to = new Date(Date.now() + DAY).toISOString();
    const q = (a: string, b: string) => `/v1/vendors/${ids.vendorId}/evidence?format=json&from=${encodeURIComponent(a)}&to=${encodeURIComponent(b)}`;
    const reply = await api<VendorEvidencePack>('GET', q(from, to), svc.tokens.auditor);
    expect(reply.status, JSON.stringify(reply.body)).toBe(200);
    expect(reply.body.requests.map((r) => r.form.id)).toEqual([ids.requestId]);
    expect(reply.body.page).toMatchObject({ total: 1, returned: 1, truncated: false, nextCursor: null });
    expect(reply.body.proof.verification.ok).toBe(true);
    expect(reply.body.roomVisits.items.map((v) => v.id)).toEqual([ids.visitId]);
    const later = await api<VendorEvidencePack>(
      'GET',
      q(new Date(Date.now() + 10 * DAY).toISOString(), new Date(Date.now() + 20 * DAY).toISOString()),
      svc.tokens.auditor,
    );
    expect(later.body.requests).toEqual([]);
    expect(later.body.roomVisits.items).toEqual([]);
    expect((await api('GET', q(to, from), svc.tokens.auditor)).status).toBe(400);
    expect((await api('GET', `/v1/vendors/${ids.vendorId}/evidence?from=yesterday&to=${encodeURIComponent(to)}`, svc.tokens.auditor)).status).toBe(400);
  });

  it('prints as a self-contained HTML document that Chromium renders under its CSP and turns into an A4 PDF', async () => {
    const url = `${svc.url}/v1/requests/${ids.requestId}/evidence`;
    const res = await fetch(url, { headers: { authorization: `Bearer ${svc.tokens.auditor}` } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(res.headers.get('content-security-policy')).toBe(EVIDENCE_CSP);
    expect(res.headers.get('cache-control')).toBe('no-store');
    const html = await res.text();
    expect(html).toContain('陳大文 &#60;b onclick=&#34;x()&#34;&#62;Tan&#60;/b&#62; &#38; &#34;Co&#34;');
    expect(html).not.toContain('<b onclick');
    for (const heading of ['申請單', '保密切結', '核准紀錄', '帳號與目錄確認', '權限撤銷', '連線紀錄', '異常事件處理', '機房進出登記', '稽核證明'])
      expect(html).toContain(heading);

    const context = await browser.newContext({ extraHTTPHeaders: { authorization: `Bearer ${svc.tokens.auditor}` }, viewport: { width: 794, height: 1123 } });
    try {
      const page = await context.newPage();
      const violations: string[] = [];
      page.on('console', (m) => {
        if (/Content Security Policy|Refused/i.test(m.text())) violations.push(m.text());
      });
      await page.goto(`${url}?lang=zh-TW`);
      await page.evaluate('document.fonts.ready');
      // The inline stylesheet applied (allowed by its hash), and the name is text, not an element.
      expect(await page.evaluate("getComputedStyle(document.querySelector('h2')).borderBottomStyle")).toBe('solid');
      expect(await page.evaluate("document.querySelectorAll('b, script').length")).toBe(0);
      expect(violations).toEqual([]);
      const pdf = await page.pdf({ format: 'A4', printBackground: true, preferCSSPageSize: true });
      expect(pdf.subarray(0, 5).toString()).toBe('%PDF-');
      expect(pdf.length).toBeGreaterThan(10_000);
      // The cover and the request, then the proof on pages of its own: at least two pages.
      expect(pdf.toString('latin1').match(/\/Type\s*\/Page[^s]/g)?.length ?? 0).toBeGreaterThanOrEqual(2);
      if (DOCS) {
        await mkdir(DOCS, { recursive: true });
        await writeFile(join(DOCS, 'request-evidence.pdf'), pdf);
        await pngOfFirstPage(join(DOCS, 'request-evidence.pdf'), join(DOCS, 'request-evidence-page1.png'), page);
      }
    } finally {
      await context.close();
    }
  });

  it('says the proof failed, at the edited event, once an audit event in Redis is tampered with', async () => {
    const key = `${svc.prefix}:audit:events`;
    const lines = await svc.redis.lrange(key, 0, -1);
    const index = lines.findIndex((l) => {
      const e = JSON.parse(l) as { action: string; subject: string };
      return e.action === 'request.filed' && e.subject === `request:${ids.requestId}`;
    });
    expect(index).toBeGreaterThanOrEqual(0);
    const event = JSON.parse(lines[index]!) as { seq: number; details: Record<string, unknown> };
    await svc.redis.lset(key, index, JSON.stringify({ ...event, details: { ...event.details, workDescription: 'nothing to see here' } }));

    const reply = await api<RequestEvidencePack>('GET', `/v1/requests/${ids.requestId}/evidence?format=json`, svc.tokens.auditor);
    expect(reply.status).toBe(200);
    expect(reply.body.proof.verification).toMatchObject({ ok: false, firstBadSeq: event.seq, reason: expect.stringContaining('edited') });
    const html = await api('GET', `/v1/requests/${ids.requestId}/evidence?lang=en`, svc.tokens.auditor);
    expect(html.body).toContain('<p class="verdict failed">Audit trail verification: FAILED</p>');
    expect(html.body).toContain(`<dt>First bad seq</dt><dd>${event.seq}</dd>`);
  });
});
