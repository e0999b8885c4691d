import type { Response } from 'express';
import { z } from 'zod';
import { EVIDENCE_LANGS, type EvidenceLang } from '../../evidence/evidence-labels.js';
import { renderEvidenceHtml } from '../../evidence/evidence-html.js';
import { requestEvidencePack, vendorEvidencePack, type EvidencePack } from '../../evidence/evidence-pack.schema.js';
import { EVIDENCE_CSP } from '../../evidence/evidence-style.js';
import type { EvidenceService } from '../../evidence/evidence.service.js';
import { isoDateTime } from '../common.schema.js';
import { route, type Reply, type RouteSpec } from '../route.js';

const formatFields = {
  format: z.enum(['html', 'json']).default('html').describe('html: a printable document (A4); json: the same content as data'),
  lang: z.enum(EVIDENCE_LANGS).default('zh-TW').describe('language of the HTML document'),
};

const requestEvidenceQuery = z.strictObject(formatFields);

const vendorEvidenceQuery = z.strictObject({
  ...formatFields,
  from: isoDateTime.describe('start of the period: requests whose validity overlaps [from, to]'),
  to: isoDateTime,
  cursor: z.string().max(100).optional().describe('page.nextCursor of the previous pack'),
  limit: z.coerce.number().int().min(1).max(100).default(20).describe('requests in one pack'),
});

export interface EvidenceRouteDeps {
  evidence: EvidenceService;
  /** The service's time zone (TZ): the HTML shows times in it. */
  timeZone: string;
}

/** The JSON, or the HTML document with its own strict Content-Security-Policy. */
function answer(res: Response, pack: EvidencePack, format: 'html' | 'json', lang: EvidenceLang, timeZone: string): Reply | void {
  res.setHeader('Cache-Control', 'no-store');
  if (format === 'json') return { status: 200, body: pack };
  res.status(200);
  res.setHeader('Content-Type', 'text/html; charset=utf-8');
  res.setHeader('Content-Security-Policy', EVIDENCE_CSP);
  res.send(renderEvidenceHtml(pack, { lang, timeZone }));
}

const html = z.string().describe('a self-contained printable HTML document (inline CSS, no scripts)');

/** Evidence packs for inspectors (clause 1.1.4): one request, or one vendor over a period; every pack audited. */
export function evidenceRoutes(deps: EvidenceRouteDeps): RouteSpec[] {
  return [
    route({
      method: 'get',
      path: '/v1/requests/:id/evidence',
      roles: ['auditor'],
      tag: 'evidence',
      summary:
        'Evidence pack of one request: form, person and NDA, approvals and exception approvals, account and directory confirmations, revocation and its lag, sessions, incidents, room visits, and the audit events it rests on verified against the chain head (audited as evidence.exported)',
      query: requestEvidenceQuery,
      operationId: 'requestEvidence',
      responses: {
        200: {
          description: 'the pack: HTML (default) or JSON (?format=json)',
          schema: requestEvidencePack,
          media: { 'text/html': html, 'application/json': requestEvidencePack },
        },
      },
      handle: async ({ actor, params, query: q, res }) => {
        const pack = await deps.evidence.forRequest(actor.name, params.id!, { format: q.format, lang: q.lang });
        return answer(res, pack, q.format, q.lang, deps.timeZone);
      },
    }),
    route({
      method: 'get',
      path: '/v1/vendors/:id/evidence',
      roles: ['auditor'],
      tag: 'evidence',
      summary:
        'Evidence pack of one vendor over a period: every request whose validity overlaps [from, to] (paged by limit and cursor), each as in the request pack, the vendor’s room visits, and one proof (audited as evidence.exported)',
      query: vendorEvidenceQuery,
      operationId: 'vendorEvidence',
      responses: {
        200: {
          description: 'the pack: HTML (default) or JSON (?format=json)',
          schema: vendorEvidencePack,
          media: { 'text/html': html, 'application/json': vendorEvidencePack },
        },
      },
      handle: async ({ actor, params, query: q, res }) => {
        const pack = await deps.evidence.forVendor(
          actor.name,
          params.id!,
          { from: q.from, to: q.to, cursor: q.cursor, limit: q.limit },
          { format: q.format, lang: q.lang },
        );
        return answer(res, pack, q.format, q.lang, deps.timeZone);
      },
    }),
  ];
}
