import type { Server } from 'node:http';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, inject, it } from 'vitest';
import { createApp } from '../../../src/api/create-app.js';
import { sha256Hex, TokenAuthenticator } from '../../../src/api/token-authenticator.js';
import { auditRoutes } from '../../../src/api/routes/audit.routes.js';
import type { AuditEvent, AuditInput } from '../../../src/audit/audit-event.js';
import { CSV_COLUMNS } from '../../../src/audit/audit-csv.js';
import { AuditQueryStore } from '../../../src/audit/audit-query.store.js';
import { AuditVerifier, verifyJsonlFile } from '../../../src/audit/audit-verifier.js';
import { silentLogger } from '../../support/log-capture.js';
import { auditRig, commit, type AuditRig } from '../../support/audit-rig.js';
import { parseCsv } from '../../support/parse-csv.js';

async function collect(chunks: AsyncIterable<string>): Promise<string> {
  let text = '';
  for await (const chunk of chunks) text += chunk;
  return text;
}

describe('querying and exporting the trail', () => {
  let rig: AuditRig;
  let query: AuditQueryStore;
  beforeEach(async () => {
    rig = await auditRig(inject('redisUrl'));
    query = new AuditQueryStore(rig.redis, rig.keys, { scanBudget: 1000 });
    await commit(rig.tx, 40);
  });
  afterEach(() => rig.close());

  it('pages newest first with a cursor, each event once', async () => {
    const seen: number[] = [];
    let cursor: number | undefined;
    for (;;) {
      const page = await query.page({}, cursor, 15);
      seen.push(...page.items.map((e) => e.seq));
      if (!page.nextCursor) break;
      cursor = Number(Buffer.from(page.nextCursor, 'base64url').toString().slice(2));
    }
    expect(seen).toEqual(Array.from({ length: 40 }, (_, i) => 40 - i));
  });

  it('filters by actor, action prefix, subject and outcome', async () => {
    const alice = await query.page({ actor: 'ops-alice' }, undefined, 100);
    expect(alice.items.map((e) => e.seq)).toEqual([39, 36, 33, 30, 27, 24, 21, 18, 15, 12, 9, 6, 3]);
    expect((await query.page({ action: 'auth.*' }, undefined, 100)).items.every((e) => e.action === 'auth.failed')).toBe(true);
    expect((await query.page({ subject: 'request:req_7' }, undefined, 100)).items.map((e) => e.seq)).toEqual([7]);
    expect((await query.page({ outcome: 'refused' }, undefined, 100)).items.map((e) => e.seq)).toEqual([38, 33, 28, 23, 18, 13, 8, 3]);
  });

  it('filters by time', async () => {
    const all = (await query.page({}, undefined, 100)).items;
    const mid = new Date(all.find((e) => e.seq === 20)!.at);
    const since = (await query.page({ since: mid }, undefined, 100)).items;
    expect(since.every((e) => new Date(e.at) >= mid)).toBe(true);
    expect(since.map((e) => e.seq)).toContain(20);
    const until = [];
    for await (const { event } of query.events({ until: mid })) until.push(event);
    expect(until.every((e) => new Date(e.at) <= mid)).toBe(true);
    expect(until.map((e) => e.seq)).toContain(20);
  });

  it('exports JSONL that verifies as a file, and CSV that parses back', async () => {
    const jsonl = await collect(query.export({}, 'jsonl'));
    const file = join(rig.dir, 'export.jsonl');
    await writeFile(file, jsonl);
    expect(await verifyJsonlFile(file)).toMatchObject({ ok: true, count: 40 });

    const csv = await collect(query.export({ actor: 'sup-bob' }, 'csv'));
    expect(csv.charCodeAt(0)).toBe(0xfeff);
    const [header, ...rows] = parseCsv(csv.slice(1));
    expect(header).toEqual([...CSV_COLUMNS]);
    expect(rows).toHaveLength(27);
    const stored = JSON.parse((await rig.redis.lindex(rig.keys.auditEvents(), 0))!) as AuditEvent;
    expect(rows[0]).toEqual([
      String(stored.seq),
      stored.at,
      stored.actor,
      stored.action,
      stored.subject,
      stored.outcome,
      JSON.stringify(stored.details),
      stored.prevHash,
      stored.hash,
    ]);
  });
});

describe('the audit API', () => {
  let rig: AuditRig;
  let server: Server;
  let base: string;
  const audited: AuditInput[] = [];
  const tokens = { auditor: 'auditor-token-0123456789', requester: 'requester-token-0123456789' };

  beforeEach(async () => {
    rig = await auditRig(inject('redisUrl'));
    await commit(rig.tx, 8);
    const audit = async (e: AuditInput) => {
      audited.push(e);
      await rig.tx.run([], () => Promise.resolve({ events: [e], result: undefined }));
    };
    const app = createApp({
      routes: auditRoutes({
        query: new AuditQueryStore(rig.redis, rig.keys),
        verifier: new AuditVerifier(rig.redis, rig.keys),
        audit,
        mirrorFile: rig.file,
        now: () => new Date('2026-11-25T08:00:00Z'),
      }),
      auth: new TokenAuthenticator([
        { name: 'aud', roles: ['auditor'], sha256: sha256Hex(tokens.auditor) },
        { name: 'req', roles: ['requester'], sha256: sha256Hex(tokens.requester) },
      ]),
      logger: silentLogger(),
      audit,
    });
    server = await new Promise<Server>((resolve) => {
      const s = app.listen(0, '127.0.0.1', () => resolve(s));
    });
    base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  });
  afterEach(async () => {
    await new Promise((resolve) => server.close(resolve));
    await rig.close();
  });

  const get = (path: string, token = tokens.auditor) => fetch(`${base}${path}`, { headers: { authorization: `Bearer ${token}` } });

  it('is for auditors only, and a refusal is audited', async () => {
    expect((await get('/v1/audit', tokens.requester)).status).toBe(403);
    expect((await fetch(`${base}/v1/audit/verify`)).status).toBe(401);
    expect(audited.map((e) => e.action)).toEqual(expect.arrayContaining(['auth.forbidden', 'auth.failed']));
  });

  it('lists and pages events', async () => {
    const first = (await (await get('/v1/audit?limit=5')).json()) as { items: AuditEvent[]; nextCursor: string };
    expect(first.items.map((e) => e.seq)).toEqual([8, 7, 6, 5, 4]);
    const second = (await (await get(`/v1/audit?limit=5&cursor=${first.nextCursor}`)).json()) as { items: AuditEvent[]; nextCursor: string | null };
    expect(second).toMatchObject({ nextCursor: null });
    expect(second.items.map((e) => e.seq)).toEqual([3, 2, 1]);
    expect((await get('/v1/audit?cursor=bogus')).status).toBe(400);
    expect((await get('/v1/audit?outcome=maybe')).status).toBe(400);
  });

  it('verifies, and reports where the chain broke', async () => {
    expect(await (await get('/v1/audit/verify')).json()).toMatchObject({ ok: true, count: 8, head: { seq: 8 } });
    expect(await (await get('/v1/audit/verify?fromSeq=5')).json()).toMatchObject({ ok: true, count: 4, fromSeq: 5 });
    expect(await (await get('/v1/audit/verify?from=checkpoint')).json()).toMatchObject({ ok: true, count: 8 });
    expect((await get('/v1/audit/verify?fromSeq=500')).status).toBe(400);
    await rig.redis.lset(rig.keys.auditEvents(), 3, (await rig.redis.lindex(rig.keys.auditEvents(), 3))!.replace('req_4', 'req_44'));
    expect(await (await get('/v1/audit/verify')).json()).toMatchObject({ ok: false, firstBadSeq: 4 });
    expect(audited.at(-1)).toMatchObject({ action: 'audit.verify_failed', outcome: 'failure' });
  });

  it('exports CSV as an attachment, and audits the export', async () => {
    const res = await get('/v1/audit/export?format=csv&actor=ops-alice');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(res.headers.get('content-disposition')).toBe('attachment; filename="leasehold-audit-20261125T080000Z.csv"');
    const bytes = Buffer.from(await res.arrayBuffer());
    expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const rows = parseCsv(bytes.toString('utf8').slice(1));
    expect(rows.slice(1).map((r) => r[2])).toEqual(['ops-alice', 'ops-alice']);
    expect(audited.at(-1)).toMatchObject({ action: 'audit.exported', actor: 'aud', details: { format: 'csv', filter: { actor: 'ops-alice' } } });
    const jsonl = await get('/v1/audit/export');
    expect(jsonl.headers.get('content-type')).toBe('application/x-ndjson; charset=utf-8');
    expect((await jsonl.text()).trim().split('\n')).toHaveLength(10); // 8, the CSV export, and this export itself (audited before it starts)
  });
});
