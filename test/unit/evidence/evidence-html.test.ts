import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { escapeHtml, formatDuration, renderEvidenceHtml } from '../../../src/evidence/evidence-html.js';
import type { EvidenceRequest, RequestEvidencePack, VendorEvidencePack } from '../../../src/evidence/evidence-pack.schema.js';
import { EVIDENCE_CSP } from '../../../src/evidence/evidence-style.js';

const EVIL = `<script>alert("x")</script><img src=x onerror=alert(1)>'&`;
const HASH = 'a'.repeat(64);

function section(over: Partial<EvidenceRequest> = {}): EvidenceRequest {
  return {
    form: {
      id: 'req_1',
      status: 'expired',
      requester: 'ops-alice',
      workDescription: `ERP patch ${EVIL}`,
      targetSystems: ['erp-app01'],
      groups: [`cn=erp-support,ou=groups,dc=test ${EVIL}`],
      validFrom: '2026-12-01T01:00:00.000Z',
      validTo: '2026-12-01T03:00:00.000Z',
      createdAt: '2026-12-01T00:30:00.000Z',
    },
    vendor: { id: 'ven_1', name: `Acme ${EVIL}`, contractRef: 'CT-7', contractEndsAt: '2027-06-30T00:00:00.000Z', status: 'active' },
    person: {
      id: 'per_1',
      fullName: `陳大文 ${EVIL}`,
      email: 'chen@acme.test',
      ndaRef: 'NDA-2026-114',
      ndaSignedAt: '2026-11-01T00:00:00.000Z',
      status: 'active',
    },
    decisions: [{ kind: 'approval', by: 'sup-amy', at: '2026-12-01T00:40:00.000Z', role: 'approver', comment: EVIL }],
    exception: {
      justification: `year-end ${EVIL}`,
      memoRef: 'MEMO-115',
      rules: ['max_validity_days'],
      approvals: [{ kind: 'exception-approval', by: 'cio-bo', at: '2026-12-01T00:45:00.000Z', role: 'exception-approver' }],
    },
    account: { username: 'v-acme-chen-1', dn: 'uid=v-acme-chen-1,ou=vendors,dc=test', state: 'disabled', createdAt: '2026-12-01T01:00:01.000Z' },
    history: [{ at: '2026-12-01T00:30:00.000Z', actor: 'ops-alice', action: 'filed', to: 'pending' }],
    directoryConfirmations: [
      { seq: 7, at: '2026-12-01T01:00:01.000Z', action: 'account.created', actor: 'worker', outcome: 'success', dn: 'uid=v-acme-chen-1,ou=vendors,dc=test' },
    ],
    revocation: {
      state: 'done',
      trigger: 'expiry',
      by: 'worker',
      requestedAt: '2026-12-01T03:00:00.000Z',
      dueAt: '2026-12-01T03:00:00.000Z',
      doneAt: '2026-12-01T03:00:04.200Z',
      lagMs: 4200,
    },
    sessions: {
      items: [
        {
          id: 'ses_1',
          account: 'v-acme-chen-1',
          source: 'bastion-1',
          sourceIps: ['10.0.0.7'],
          targets: ['erp-app01'],
          firstAt: '2026-12-01T01:10:00.000Z',
          lastAt: '2026-12-01T01:20:00.000Z',
          eventCount: 2,
          flags: [{ code: 'privileged_command', at: '2026-12-01T01:11:00.000Z', detail: `sudo -i ${EVIL}` }],
          review: { verdict: 'escalate', by: 'aud-eve', at: '2026-12-01T04:00:00.000Z', note: EVIL, incidentId: 'inc_1' },
        },
      ],
      truncated: false,
    },
    incidents: [
      {
        id: 'inc_1',
        sessionId: 'ses_1',
        flags: ['privileged_command'],
        escalationNote: EVIL,
        openedBy: 'aud-eve',
        openedAt: '2026-12-01T04:00:00.000Z',
        status: 'resolved',
        handlingNote: `vendor warned ${EVIL}`,
        updatedAt: '2026-12-01T05:00:00.000Z',
        history: [{ at: '2026-12-01T05:00:00.000Z', by: 'aud-eve', status: 'resolved', handlingNote: 'vendor warned' }],
      },
    ],
    roomVisits: {
      available: true,
      items: [
        {
          id: 'rv_1',
          personId: 'per_1',
          requestId: 'req_1',
          room: `B1 ${EVIL}`,
          purpose: 'swap disk',
          escortedBy: 'ops-kim',
          enteredAt: '2026-12-01T02:00:00.000Z',
          media: [{ kind: 'usb', description: EVIL, serial: 'SN1' }],
          flags: [{ code: 'not_taken_out', kind: 'usb', description: 'stick', serial: 'SN1' }],
        },
      ],
      truncated: false,
    },
    ...over,
  };
}

function requestPack(ok = true, over: Partial<EvidenceRequest> = {}): RequestEvidencePack {
  return {
    kind: 'request',
    generatedAt: '2026-12-06T08:00:00.000Z',
    generatedBy: 'aud-eve',
    request: section(over),
    proof: {
      subjects: ['request:req_1', 'person:per_1'],
      events: [
        {
          seq: 3,
          at: '2026-12-01T00:30:00.000Z',
          actor: 'ops-alice',
          action: 'request.filed',
          subject: 'request:req_1',
          outcome: 'success',
          prevHash: HASH,
          hash: 'b'.repeat(64),
        },
      ],
      eventCount: 1,
      truncated: false,
      verification: ok
        ? { ok: true, verifiedAt: '2026-12-06T08:00:00.000Z', fromSeq: 3, count: 40, head: { seq: 42, hash: 'c'.repeat(64) } }
        : {
            ok: false,
            verifiedAt: '2026-12-06T08:00:00.000Z',
            fromSeq: 3,
            count: 0,
            head: null,
            firstBadSeq: 3,
            reason: 'content does not match its hash: the event was edited',
          },
    },
  };
}

const render = (pack: RequestEvidencePack | VendorEvidencePack, lang: 'zh-TW' | 'en' = 'zh-TW') => renderEvidenceHtml(pack, { lang, timeZone: 'Asia/Taipei' });

describe('the printed evidence pack', () => {
  it('escapes every value: a hostile name, note or group becomes text, never markup', () => {
    const html = render(requestPack());
    expect(html).not.toMatch(/<script|<img/i);
    expect(html).toContain('&#60;script&#62;alert(&#34;x&#34;)&#60;/script&#62;');
    expect(html).toContain('陳大文');
  });

  it('loads and runs nothing: no script, link, image, inline style attribute or event handler; its one stylesheet is allowed by hash', () => {
    const html = render(requestPack());
    // Every < left in the document is markup the renderer wrote (values are escaped): only these tags, no attributes that load or run.
    const tags = new Set([...html.matchAll(/<\/?([a-z0-9!]+)/gi)].map((m) => m[1]!.toLowerCase()));
    const allowed = [
      '!doctype',
      'html',
      'head',
      'meta',
      'title',
      'style',
      'body',
      'header',
      'footer',
      'section',
      'h1',
      'h2',
      'h3',
      'p',
      'strong',
      'dl',
      'dt',
      'dd',
    ];
    expect([...tags].filter((t) => ![...allowed, 'table', 'thead', 'tbody', 'tr', 'th', 'td', 'code', 'ul', 'li', 'br'].includes(t))).toEqual([]);
    const attributes = [...html.matchAll(/<[a-z][^>]*>/gi)].flatMap((m) => [...m[0].matchAll(/\s([a-z-]+)="/gi)].map((a) => a[1]!.toLowerCase()));
    expect([...new Set(attributes)].sort()).toEqual(['charset', 'class', 'content', 'lang', 'name']);
    const styles = [...html.matchAll(/<style>([\s\S]*?)<\/style>/g)].map((m) => m[1]!);
    expect(styles).toHaveLength(1);
    const hash = createHash('sha256').update(styles[0]!).digest('base64');
    expect(EVIDENCE_CSP).toContain(`style-src 'sha256-${hash}'`);
    expect(EVIDENCE_CSP).toContain("default-src 'none'");
    expect(styles[0]).toContain('size: A4');
    expect(styles[0]).toContain('break-before: page');
  });

  it('has every section, in Traditional Chinese by default, with times in the service time zone', () => {
    const html = render(requestPack());
    expect(html).toContain('<html lang="zh-Hant-TW">');
    for (const heading of ['申請單', '保密切結', '核准紀錄', '例外申請', '帳號與目錄確認', '權限撤銷', '連線紀錄', '異常事件處理', '機房進出登記', '稽核證明'])
      expect(html, heading).toContain(heading);
    expect(html).toContain('NDA-2026-114');
    expect(html).toContain('MEMO-115');
    expect(html).toContain('cio-bo');
    expect(html).toContain('2026-12-01 11:00:00'); // validTo 03:00Z in Asia/Taipei
    expect(html).toContain('特權指令');
    expect(html).toContain('攜入未攜出');
  });

  it('shows the revocation lag from due to done', () => {
    expect(render(requestPack())).toMatch(/延遲（lag）<\/dt><dd><strong>4\.2 s<\/strong>/);
    expect(formatDuration(850)).toBe('850 ms');
    expect(formatDuration(185_000)).toBe('3 min 5 s');
    expect(formatDuration(7_800_000)).toBe('2 h 10 min');
    expect(formatDuration(97 * 3_600_000)).toBe('4 d 1 h');
  });

  it('shows a failed proof as FAILED with the first bad seq and the reason', () => {
    const ok = render(requestPack(true), 'en');
    expect(ok).toContain('<p class="verdict ok">');
    expect(ok).toContain('c'.repeat(64));
    const failed = render(requestPack(false), 'en');
    expect(failed).toContain('<p class="verdict failed">Audit trail verification: FAILED</p>');
    expect(failed).toContain('<dt>First bad seq</dt><dd>3</dd>');
    expect(failed).toContain('the event was edited');
  });

  it('in English has no Chinese left but what the records hold', () => {
    const pack = requestPack(true, {
      person: { id: 'per_1', fullName: 'Chen Wei', ndaRef: 'NDA-1', ndaSignedAt: '2026-11-01T00:00:00.000Z', status: 'active' },
    });
    const html = render(pack, 'en');
    expect(html).toContain('<html lang="en">');
    expect(html).not.toMatch(/[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]/);
    expect(html).toContain('Revocation');
    expect(html).toContain('privileged command');
  });

  it('says when the register is not enabled, and an erased person has no name left', () => {
    const html = render(
      requestPack(true, {
        roomVisits: { available: false, items: [], truncated: false },
        person: { id: 'per_1', ndaRef: 'NDA-1', ndaSignedAt: '2026-11-01T00:00:00.000Z', status: 'departed', erasedAt: '2026-12-02T00:00:00.000Z' },
      }),
    );
    expect(html).toContain('本系統未啟用機房進出登記');
    expect(html).toContain('個人資料已刪除');
  });

  it('puts each request of a vendor pack on its own pages and says when the pack is cut short', () => {
    const pack: VendorEvidencePack = {
      kind: 'vendor',
      generatedAt: '2026-12-06T08:00:00.000Z',
      generatedBy: 'aud-eve',
      vendor: section().vendor,
      period: { from: '2026-12-01T00:00:00.000Z', to: '2026-12-31T00:00:00.000Z' },
      requests: [section(), section({ form: { ...section().form, id: 'req_2' } })],
      page: { total: 5, offset: 0, returned: 2, truncated: true, nextCursor: 'ZToy' },
      roomVisits: { available: true, items: [], truncated: false },
      proof: requestPack().proof,
    };
    const html = render(pack);
    expect(html.match(/<section class="request">/g)).toHaveLength(2);
    expect(html).toContain('尚有 3 件未列入本文件');
    expect(html).toContain('cursor=ZToy');
    expect(escapeHtml(`a"b'c<d>&`)).toBe('a&#34;b&#39;c&#60;d&#62;&#38;');
  });
});
