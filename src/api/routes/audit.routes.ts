import type { Response } from 'express';
import { z } from 'zod';
import type { AuditInput } from '../../audit/audit-event.js';
import { decodeAuditCursor, recordedFilter, type AuditFilter, type AuditQueryStore, type ExportFormat } from '../../audit/audit-query.store.js';
import type { ArchivedPart, AuditVerifier, VerifyResult } from '../../audit/audit-verifier.js';
import { ValidationError } from '../../errors.js';
import { route, type RouteSpec } from '../route.js';
import { auditEventView, auditVerifyView, pageOf } from '../response.schema.js';
import { isoDateTime } from '../common.schema.js';

const filterFields = {
  since: isoDateTime.optional(),
  until: isoDateTime.optional(),
  actor: z.string().min(1).max(200).optional(),
  action: z.string().min(1).max(200).optional().describe('exact, or a prefix ending in * (request.*)'),
  subject: z.string().min(1).max(300).optional().describe('exact, or a prefix ending in * (request:*)'),
  outcome: z.enum(['success', 'failure', 'refused', 'warning']).optional(),
};

const auditListQuerySchema = z.strictObject({
  ...filterFields,
  cursor: z.string().max(200).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(50),
});

const auditExportQuerySchema = z.strictObject({ ...filterFields, format: z.enum(['jsonl', 'csv']).default('jsonl') });

const auditVerifyQuerySchema = z.strictObject({
  fromSeq: z.coerce.number().int().min(1).optional(),
  from: z.enum(['checkpoint']).optional(),
  mirror: z
    .enum(['true', 'false'])
    .transform((v) => v === 'true')
    .optional()
    .describe('also verify the mirror file and compare it with Redis'),
});

export interface AuditRouteDeps {
  query: AuditQueryStore;
  verifier: AuditVerifier;
  audit: (event: AuditInput) => Promise<void>;
  /** The mirror file this process can read (AUDIT_LOG_FILE). */
  mirrorFile: string;
  now: () => Date;
}

function filterOf(q: AuditFilter & Record<string, unknown>): AuditFilter {
  const { since, until, actor, action, subject, outcome } = q;
  if (since && until && since > until) throw new ValidationError('since is after until', [{ field: 'query.since', message: 'must not be after until' }]);
  return Object.fromEntries(Object.entries({ since, until, actor, action, subject, outcome }).filter(([, v]) => v !== undefined));
}

function verdict(r: VerifyResult & { archived?: ArchivedPart }): Record<string, unknown> {
  if (!r.ok) return { ok: false, firstBadSeq: r.firstBadSeq, reason: r.reason };
  // Events accepted by a signed re-anchor are named: intact, but not as if nothing had happened.
  return {
    ok: true,
    count: r.count,
    head: r.head,
    fromSeq: r.fromSeq,
    ...(r.reanchored ? { status: 'intact-with-reanchors', reanchored: r.reanchored } : {}),
    // Sealed segments (ARCHIVE_DIR): their seals were checked, the tail verified from the last one.
    ...('archived' in r && r.archived ? { archived: r.archived } : {}),
  };
}

/** Waits until the client takes more data, or goes away. */
function drained(res: Response): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}

/** The audit trail for auditors: query, verify, export (clause 1.1.4). */
export function auditRoutes(deps: AuditRouteDeps): RouteSpec[] {
  const { query, verifier } = deps;
  return [
    route({
      method: 'get',
      path: '/v1/audit',
      roles: ['auditor'],
      tag: 'audit',
      summary: 'Audit events, newest first, filtered and paginated',
      query: auditListQuerySchema,
      operationId: 'listAuditEvents',
      responses: { 200: { description: 'a page of audit events', schema: pageOf(auditEventView) } },
      handle: async ({ query: q }) => {
        const cursor = q.cursor === undefined ? undefined : decodeAuditCursor(q.cursor);
        if (q.cursor !== undefined && cursor === undefined)
          throw new ValidationError('invalid cursor', [{ field: 'query.cursor', message: 'not a cursor returned by this API' }]);
        return { status: 200, body: await query.page(filterOf(q), cursor, q.limit) };
      },
    }),
    route({
      method: 'get',
      path: '/v1/audit/verify',
      roles: ['auditor'],
      tag: 'audit',
      summary:
        'Verify the hash chain in Redis (whole, from ?fromSeq=, or from the newest checkpoint with ?from=checkpoint); ?mirror=true also checks the mirror file',
      query: auditVerifyQuerySchema,
      operationId: 'verifyAudit',
      responses: { 200: { description: '{ok, count, head} or {ok:false, firstBadSeq, reason}', schema: auditVerifyView } },
      handle: async ({ actor, query: q }) => {
        if (q.fromSeq !== undefined && q.from)
          throw new ValidationError('give fromSeq or from=checkpoint, not both', [{ field: 'query.from', message: 'conflicts with fromSeq' }]);
        let result: VerifyResult;
        try {
          result = await verifier.verifyRedis({ fromSeq: q.fromSeq, fromCheckpoint: q.from === 'checkpoint' });
        } catch (err) {
          if (err instanceof ValidationError) throw new ValidationError(err.message, [{ field: 'query.fromSeq', message: err.message }]);
          throw err;
        }
        const body: Record<string, unknown> = verdict(result);
        let ok = result.ok;
        if (q.mirror) {
          const file = await verifier.verifyFile(deps.mirrorFile);
          body.mirror = { ...verdict(file), ...(file.ok ? { behindBy: file.behindBy } : {}) };
          ok &&= file.ok;
          body.ok = ok;
        }
        if (!ok) await deps.audit({ actor: actor.name, action: 'audit.verify_failed', subject: 'audit:trail', outcome: 'failure', details: body });
        return { status: 200, body };
      },
    }),
    route({
      method: 'get',
      path: '/v1/audit/export',
      roles: ['auditor'],
      tag: 'audit',
      summary: 'The trail as a download: JSONL (stored lines, verifiable) or CSV (UTF-8 with BOM, formula-safe)',
      query: auditExportQuerySchema,
      operationId: 'exportAudit',
      responses: {
        200: {
          description: 'the trail as an attachment: JSON lines (one AuditEvent each) or CSV',
          schema: z.string(),
          contentTypes: ['application/x-ndjson', 'text/csv'],
        },
      },
      handle: async ({ actor, query: q, res }) => {
        const filter = filterOf(q);
        const format: ExportFormat = q.format;
        // The export itself is audited: who took a copy of the trail, and of what.
        await deps.audit({
          actor: actor.name,
          action: 'audit.exported',
          subject: 'audit:trail',
          outcome: 'success',
          details: { format, filter: recordedFilter(filter) },
        });
        const stamp = deps.now().toISOString().replace(/[-:]/g, '').replace(/\.\d+/, '');
        res.status(200);
        res.setHeader('Content-Type', format === 'csv' ? 'text/csv; charset=utf-8' : 'application/x-ndjson; charset=utf-8');
        res.setHeader('Content-Disposition', `attachment; filename="leasehold-audit-${stamp}.${format}"`);
        res.setHeader('Cache-Control', 'no-store');
        try {
          for await (const chunk of query.export(filter, format)) {
            if (res.destroyed) return;
            if (!res.write(chunk)) await drained(res);
          }
          res.end();
        } catch (err) {
          if (!res.headersSent) throw err;
          res.destroy(err as Error); // mid-stream: cut the download so it cannot pass for complete
        }
      },
    }),
  ];
}
