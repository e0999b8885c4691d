import { createHash } from 'node:crypto';
import { readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Server } from 'node:http';
import { afterEach, beforeEach, describe, expect, inject, it } from 'vitest';
import { createApp } from '../../../src/api/create-app.js';
import { auditRoutes } from '../../../src/api/routes/audit.routes.js';
import { sha256Hex, TokenAuthenticator } from '../../../src/api/token-authenticator.js';
import { verifyWithArchive } from '../../../src/audit/archive/archive-verifier.js';
import { ArchiveRefused, AuditArchiver } from '../../../src/audit/archive/audit-archiver.js';
import { SegmentFiles } from '../../../src/audit/archive/segment-files.js';
import { parseSeal, SEALED_ACTION, type Seal } from '../../../src/audit/archive/segment-seal.js';
import type { AuditEvent } from '../../../src/audit/audit-event.js';
import { AuditCheckpointStore } from '../../../src/audit/audit-checkpoint.store.js';
import { AuditMirror } from '../../../src/audit/audit-mirror.js';
import { AuditQueryStore, decodeAuditCursor } from '../../../src/audit/audit-query.store.js';
import { AuditVerifier, verifyJsonlFile } from '../../../src/audit/audit-verifier.js';
import type { Transactor } from '../../../src/store/transactor.js';
import { silentLogger } from '../../support/log-capture.js';
import { auditRig, commit, type AuditRig } from '../../support/audit-rig.js';
import { runCli as cli } from '../../support/cli-run.js';
import { followPages } from '../../support/follow-pages.js';

const SEGMENT = 20;

function archiverFor(rig: AuditRig, files: SegmentFiles, tx: Transactor = rig.tx): AuditArchiver {
  return new AuditArchiver({ redis: rig.redis, keys: rig.keys, tx, files, segmentEvents: SEGMENT, logger: silentLogger(), intervalMs: 0 });
}

/** Seals what is full now, in this process (no other one holds the lease in these tests). */
async function sealNow(rig: AuditRig, files: SegmentFiles, tx?: Transactor): Promise<Seal[]> {
  const sealed = await archiverFor(rig, files, tx).archive();
  expect(sealed, 'the archive lease was held elsewhere').not.toBeNull();
  return sealed!;
}

async function allEvents(rig: AuditRig): Promise<AuditEvent[]> {
  return (await rig.redis.lrange(rig.keys.auditEvents(), 0, -1)).map((l) => JSON.parse(l) as AuditEvent);
}

async function seals(rig: AuditRig): Promise<Seal[]> {
  return (await rig.redis.lrange(rig.keys.auditSeals(), 0, -1)).map((l) => parseSeal(l) as Seal);
}

async function headSeq(rig: AuditRig): Promise<number> {
  return (JSON.parse((await rig.redis.get(rig.keys.auditHead()))!) as { seq: number }).seq;
}

describe('sealing the audit trail into ARCHIVE_DIR', () => {
  let rig: AuditRig;
  let files: SegmentFiles;
  let archiveDir: string;
  let before: AuditEvent[];
  beforeEach(async () => {
    rig = await auditRig(inject('redisUrl'));
    archiveDir = join(rig.dir, 'archive');
    files = new SegmentFiles(archiveDir);
    await commit(rig.tx, 95);
    before = await allEvents(rig);
  });
  afterEach(() => rig.close());

  it('seals every full segment, drops it from Redis, and records each seal in the chain', async () => {
    const checkpoints = new AuditCheckpointStore(rig.redis, rig.keys);
    for (const seq of [10, 50, 90]) await checkpoints.add({ seq, hash: before[seq - 1]!.hash, at: new Date().toISOString() });
    const sealed = await sealNow(rig, files);
    const head = await headSeq(rig);
    // 95 events plus one seal event per segment: sealing stops once fewer than SEGMENT events are live.
    expect(sealed.map((s) => [s.fromSeq, s.toSeq])).toEqual([
      [1, 20],
      [21, 40],
      [41, 60],
      [61, 80],
    ]);
    expect(head).toBe(99);
    expect(await rig.redis.get(rig.keys.auditBase())).toBe('80');
    expect(await rig.redis.llen(rig.keys.auditEvents())).toBe(19);
    expect((JSON.parse((await rig.redis.lindex(rig.keys.auditEvents(), 0))!) as AuditEvent).seq).toBe(81);
    expect(await seals(rig)).toEqual(sealed);
    // Checkpoints inside sealed segments go with them; the one in the live tail stays.
    expect((await checkpoints.after(0)).map((c) => c.seq)).toEqual([90]);

    // Each file holds exactly the stored lines, and its SHA-256 is the seal's.
    for (const seal of sealed) {
      const bytes = await readFile(join(archiveDir, seal.file));
      expect(createHash('sha256').update(bytes).digest('hex')).toBe(seal.sha256);
      const lines = bytes.toString().trimEnd().split('\n');
      expect(lines.map((l) => (JSON.parse(l) as AuditEvent).seq)).toEqual(Array.from({ length: SEGMENT }, (_, i) => seal.fromSeq + i));
      expect(lines.map((l) => (JSON.parse(l) as AuditEvent).hash)).toEqual(before.slice(seal.fromSeq - 1, seal.toSeq).map((e) => e.hash));
    }
    const sealEvents = (await allEvents(rig)).filter((e) => e.action === SEALED_ACTION);
    expect(sealEvents.map((e) => e.details)).toEqual(sealed.map((s) => ({ ...s })));

    // Nothing more to seal until another segment fills up; nothing done at all while another process seals.
    expect(await archiverFor(rig, files).archive()).toEqual([]);
    await rig.redis.set(rig.keys.auditArchiveLease(), 'worker-elsewhere', 'PX', 60_000);
    expect(await archiverFor(rig, files).archive()).toBeNull();
    await rig.redis.del(rig.keys.auditArchiveLease());
  });

  it('verifies over the API from the seals and the live tail, and as one chain with the archive', async () => {
    await archiverFor(rig, files).archive();
    const live = await new AuditVerifier(rig.redis, rig.keys).verifyRedis();
    expect(live).toMatchObject({ ok: true, fromSeq: 81, count: 19, head: { seq: 99 }, archived: { segments: 4, throughSeq: 80 } });
    expect(await new AuditVerifier(rig.redis, rig.keys).verifyRedis({ fromCheckpoint: true })).toMatchObject({ ok: true, fromSeq: 81 });
    // A start inside the archive reads it when the process has it.
    expect(await new AuditVerifier(rig.redis, rig.keys, undefined, files).verifyRedis({ fromSeq: 30 })).toMatchObject({ ok: true, fromSeq: 30, count: 70 });
    expect(await verifyWithArchive(rig.redis, rig.keys, archiveDir)).toMatchObject({ ok: true, fromSeq: 1, count: 99, head: { seq: 99 } });
  });

  it('pages, filters and exports across sealed segments and the live tail as before', async () => {
    await archiverFor(rig, files).archive();
    const query = new AuditQueryStore(rig.redis, rig.keys, { scanBudget: 1000 }, files);
    const pages = await followPages((cursor) => query.page({}, cursor, 15), decodeAuditCursor);
    expect(pages.flat().map((e) => e.seq)).toEqual(Array.from({ length: 99 }, (_, i) => 99 - i));

    // By actor and subject: the archived part comes from the segment indexes.
    const alice = before.filter((e) => e.actor === 'ops-alice').map((e) => e.seq);
    expect((await query.page({ actor: 'ops-alice' }, undefined, 500)).items.map((e) => e.seq)).toEqual(alice.reverse());
    expect((await query.page({ subject: 'request:req_7' }, undefined, 100)).items.map((e) => e.seq)).toEqual([7]);
    expect((await query.page({ subject: 'request:req_1*' }, undefined, 100)).items.map((e) => e.seq)).toEqual([19, 18, 17, 16, 15, 14, 13, 12, 11, 10, 1]);
    const sealEvents = await query.page({ action: SEALED_ACTION }, undefined, 100);
    expect(sealEvents.items.map((e) => e.subject)).toEqual(['audit:segment:4', 'audit:segment:3', 'audit:segment:2', 'audit:segment:1']);
    const bobAcross = [];
    for await (const { event } of query.events({ actor: 'sup-bob' })) bobAcross.push(event.seq);
    expect(bobAcross).toEqual(before.filter((e) => e.actor === 'sup-bob').map((e) => e.seq));

    // A process without ARCHIVE_DIR reads the live tail and says what it cannot read (the API answers 503).
    const blind = new AuditQueryStore(rig.redis, rig.keys);
    expect((await blind.page({}, undefined, 10)).items.map((e) => e.seq)).toEqual([99, 98, 97, 96, 95, 94, 93, 92, 91, 90]);
    await expect(blind.page({}, undefined, 50)).rejects.toMatchObject({
      status: 503,
      code: 'archive_unavailable',
      message: expect.stringMatching(/segment 4/),
    });

    // By time: the bound is found through the seals.
    const mid = new Date(before[29]!.at);
    const since = [];
    for await (const { event } of query.events({ since: mid })) since.push(event);
    expect(since.map((e) => e.seq)).toContain(30);
    expect(since.every((e) => new Date(e.at) >= mid)).toBe(true);

    // The unfiltered export is the whole chain, verifiable on its own.
    let jsonl = '';
    for await (const chunk of query.export({}, 'jsonl')) jsonl += chunk;
    const exported = join(rig.dir, 'export.jsonl');
    await writeFile(exported, jsonl);
    expect(await verifyJsonlFile(exported)).toMatchObject({ ok: true, count: 99 });
  });

  it('answers the audit API from the archive: verify names the sealed part, pages reach sealed events', async () => {
    await archiverFor(rig, files).archive();
    const token = 'auditor-token-0123456789';
    const app = createApp({
      routes: auditRoutes({
        query: new AuditQueryStore(rig.redis, rig.keys, {}, files),
        verifier: new AuditVerifier(rig.redis, rig.keys, undefined, files),
        audit: (e) => rig.tx.append(e),
        mirrorFile: rig.file,
        now: () => new Date(),
      }),
      auth: new TokenAuthenticator([{ name: 'aud', roles: ['auditor'], sha256: sha256Hex(token) }]),
      logger: silentLogger(),
      audit: (e) => rig.tx.append(e),
    });
    const server = await new Promise<Server>((resolve) => {
      const s = app.listen(0, '127.0.0.1', () => resolve(s));
    });
    try {
      const url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
      const get = async (path: string) =>
        (await fetch(`${url}${path}`, { headers: { authorization: `Bearer ${token}` } })).json() as Promise<Record<string, unknown>>;
      expect(await get('/v1/audit/verify')).toMatchObject({ ok: true, fromSeq: 81, count: 19, archived: { segments: 4, throughSeq: 80 } });
      expect(await get('/v1/audit/verify?fromSeq=2')).toMatchObject({ ok: true, fromSeq: 2, count: 98 });
      const sealedPage = await get('/v1/audit?subject=request:req_3');
      expect((sealedPage.items as AuditEvent[]).map((e) => [e.seq, e.hash])).toEqual([[3, before[2]!.hash]]);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('lets a mirror that fell behind catch up from the archive', async () => {
    await archiverFor(rig, files).archive();
    const mirror = new AuditMirror({ redis: rig.redis, keys: rig.keys, file: rig.file, logger: silentLogger(), fsync: false, archive: files });
    await mirror.start();
    await mirror.sync();
    await mirror.close();
    expect(await verifyJsonlFile(rig.file)).toMatchObject({ ok: true, count: 99 });
    expect(await new AuditVerifier(rig.redis, rig.keys, undefined, files).verifyFile(rig.file)).toMatchObject({ ok: true, count: 99, behindBy: 0 });
    // Without the archive the sealed part is only chain-checked, the live part still compared.
    expect(await new AuditVerifier(rig.redis, rig.keys).verifyFile(rig.file)).toMatchObject({ ok: true, count: 99 });
  });

  it('finds an altered or missing segment, and rewritten seals', async () => {
    const sealed = await sealNow(rig, files);
    const second = join(archiveDir, sealed[1]!.file);
    const original = await readFile(second, 'utf8');
    await writeFile(second, original.replace('"note":"event 25"', '"note":"event 25!"'));
    expect(await verifyWithArchive(rig.redis, rig.keys, archiveDir)).toMatchObject({ ok: false, firstBadSeq: 25 });
    // Same events, one byte of whitespace more: the chain holds, the file's hash does not.
    await writeFile(second, original.replace('"note":"event 25"', '"note": "event 25"'));
    expect(await verifyWithArchive(rig.redis, rig.keys, archiveDir)).toMatchObject({ ok: false, firstBadSeq: 21, reason: expect.stringMatching(/altered/) });
    await rm(second);
    expect(await verifyWithArchive(rig.redis, rig.keys, archiveDir)).toMatchObject({ ok: false, firstBadSeq: 21, reason: expect.stringMatching(/missing/) });
    await writeFile(second, original);
    expect(await verifyWithArchive(rig.redis, rig.keys, archiveDir)).toMatchObject({ ok: true });

    // A seal edited in Redis fails its own hash; one re-hashed consistently no longer matches the seal event in the chain.
    // The API's verifier is long-lived and reads only new seals plus the last it knew: it must still see both.
    const api = new AuditVerifier(rig.redis, rig.keys);
    expect(await api.verifyRedis()).toMatchObject({ ok: true, archived: { segments: 4 } });
    await commit(rig.tx, 20, 200);
    await archiverFor(rig, files).archive();
    expect(await api.verifyRedis()).toMatchObject({ ok: true, archived: { segments: 6, throughSeq: 120 } });
    const third = sealed[2]!;
    await rig.redis.lset(rig.keys.auditSeals(), 2, JSON.stringify({ ...third, sha256: '0'.repeat(64) }));
    expect(await new AuditVerifier(rig.redis, rig.keys).verifyRedis()).toMatchObject({ ok: false, firstBadSeq: 41, reason: expect.stringMatching(/edited/) });
    const { makeSeal } = await import('../../../src/audit/archive/segment-seal.js');
    const forged = makeSeal({ ...third, sha256: '0'.repeat(64) });
    // Rewritten consistently to the end: each later seal re-made on the forged one, so the last one changes too.
    await rig.redis.lset(rig.keys.auditSeals(), 2, JSON.stringify(forged));
    let prev = forged;
    for (const [i, later] of (await seals(rig)).entries()) {
      if (i <= 2) continue;
      prev = makeSeal({ ...later, prevSeal: prev.seal });
      await rig.redis.lset(rig.keys.auditSeals(), i, JSON.stringify(prev));
    }
    for (const verifier of [api, new AuditVerifier(rig.redis, rig.keys)])
      expect(await verifier.verifyRedis()).toMatchObject({ ok: false, reason: expect.stringMatching(/seals were rewritten/) });
  });

  it('verifies what vouches for a few events (an evidence pack) by the segments holding them, the seals and the tail', async () => {
    const sealed = await sealNow(rig, files);
    const verifier = new AuditVerifier(rig.redis, rig.keys, undefined, files);
    // Events 25 and 30 are in segment 2, 90 in the live tail: segments 1, 3 and 4 are not read at all.
    for (const i of [0, 2, 3]) await rm(join(archiveDir, sealed[i]!.file));
    expect(await verifier.verifyCovering([25, 30, 90])).toMatchObject({ ok: true, fromSeq: 21, count: 20 + 19, head: { seq: 99 } });
    const second = join(archiveDir, sealed[1]!.file);
    await writeFile(second, (await readFile(second, 'utf8')).replace('"note":"event 25"', '"note":"event 26"'));
    expect(await verifier.verifyCovering([30])).toMatchObject({ ok: false, firstBadSeq: 25 });
    await rm(second);
    expect(await verifier.verifyCovering([30])).toMatchObject({ ok: false, firstBadSeq: 21, reason: expect.stringMatching(/missing/) });
    // Without the archive, or for live events only, it is the verification from the oldest event.
    expect(await new AuditVerifier(rig.redis, rig.keys).verifyCovering([85, 90])).toMatchObject({ ok: true, fromSeq: 85, count: 15 });
  });

  it('refuses to seal a broken chain and drops nothing', async () => {
    const tampered = before[11]!;
    await rig.redis.lset(rig.keys.auditEvents(), 11, JSON.stringify({ ...tampered, actor: 'mallory' }));
    await expect(archiverFor(rig, files).archive()).rejects.toThrow(ArchiveRefused);
    await expect(archiverFor(rig, files).archive()).rejects.toThrow(/seq 12 in Redis does not verify/);
    expect(await rig.redis.llen(rig.keys.auditEvents())).toBe(95);
    expect(await rig.redis.get(rig.keys.auditBase())).toBeNull();
  });

  it('loses nothing when the process dies between writing a segment and dropping it', async () => {
    const failing = { run: () => Promise.reject(new Error('connection lost')) } as unknown as Transactor;
    await expect(archiverFor(rig, files, failing).archive()).rejects.toThrow('connection lost');
    // The file was written, Redis is untouched: the trail still verifies whole from Redis alone.
    expect(await readdir(join(archiveDir, 'audit'))).toContain('segment-000001-1-20.jsonl');
    expect(await rig.redis.llen(rig.keys.auditEvents())).toBe(95);
    expect(await new AuditVerifier(rig.redis, rig.keys).verifyRedis()).toMatchObject({ ok: true, count: 95 });
    // The next run writes the same segment again and seals it.
    const sealed = await sealNow(rig, files);
    expect(sealed).toHaveLength(4);
    expect((await readdir(join(archiveDir, 'audit'))).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    expect(await verifyWithArchive(rig.redis, rig.keys, archiveDir)).toMatchObject({ ok: true, count: 99 });
  });
});

describe('leasehold archive and audit verify --archive (CLI)', () => {
  let rig: AuditRig;
  beforeEach(async () => {
    rig = await auditRig(inject('redisUrl'));
    await commit(rig.tx, 45);
  });
  afterEach(() => rig.close());

  it('seals now, then verifies the archive and the live tail as one chain', async () => {
    const policy = join(rig.dir, 'policy.yaml');
    await writeFile(policy, `audit:\n  segmentEvents: ${SEGMENT}\n`);
    const archiveDir = join(rig.dir, 'archive');
    const env = { REDIS_URL: inject('redisUrl'), REDIS_PREFIX: rig.prefix, ARCHIVE_DIR: archiveDir, POLICY_FILE: policy };
    // While another process holds the archive lease, the command says so and leaves the sealing to it.
    await rig.redis.set(rig.keys.auditArchiveLease(), 'worker-elsewhere', 'PX', 60_000);
    expect(await cli(['archive'], env)).toMatchObject({ code: 0, stdout: expect.stringMatching(/another process is sealing segments now/) });
    await rig.redis.del(rig.keys.auditArchiveLease());
    const sealed = await cli(['archive'], env);
    expect(sealed).toMatchObject({ code: 0, stdout: expect.stringMatching(/2 segment\(s\) sealed; seq 1–40 archived/) });
    expect(await cli(['audit', 'verify', '--archive', archiveDir], env)).toMatchObject({
      code: 0,
      stdout: expect.stringMatching(/intact, 47 events from seq 1, head seq 47.*seq 1–40 sealed in 2 segments/),
    });
    expect(await cli(['audit', 'verify'], env)).toMatchObject({ code: 0, stdout: expect.stringMatching(/intact, 7 events from seq 41/) });
    await rm(join(archiveDir, 'audit', 'segment-000002-21-40.jsonl'));
    expect(await cli(['audit', 'verify', '--archive', archiveDir], env)).toMatchObject({
      code: 1,
      stderr: expect.stringMatching(/BROKEN at seq 21: segment 2/),
    });
    expect(await cli(['archive'], { ...env, ARCHIVE_DIR: '' })).toMatchObject({ code: 78 });
  });
});
