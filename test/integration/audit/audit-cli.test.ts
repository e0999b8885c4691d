import { randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, inject, it } from 'vitest';
import { AuditCheckpointer } from '../../../src/audit/audit-checkpointer.js';
import { AuditMirror } from '../../../src/audit/audit-mirror.js';
import { silentLogger } from '../../support/log-capture.js';
import { appendDateDefectEvent, auditRig, commit, type AuditRig } from '../../support/audit-rig.js';
import { parseCsv } from '../../support/parse-csv.js';
import { runCli as cli } from '../../support/cli-run.js';

describe('leasehold audit (CLI)', () => {
  let rig: AuditRig;
  let env: Record<string, string>;
  beforeEach(async () => {
    rig = await auditRig(inject('redisUrl'));
    env = { REDIS_URL: inject('redisUrl'), REDIS_PREFIX: rig.prefix };
    const mirror = new AuditMirror({ redis: rig.redis, keys: rig.keys, file: rig.file, logger: silentLogger(), fsync: false });
    rig.tx.onCommit(mirror.onCommit);
    await mirror.start();
    await commit(rig.tx, 15);
    await mirror.close();
  });
  afterEach(() => rig.close());

  it('verifies Redis with exit 0, and names the first bad seq with a non-zero exit', async () => {
    const ok = await cli(['audit', 'verify'], env);
    expect(ok).toMatchObject({ code: 0, stdout: expect.stringMatching(/intact, 15 events from seq 1, head seq 15/) });
    expect(ok.stdout).toContain(`Redis ${inject('redisUrl')} prefix ${rig.prefix}`);
    await rig.redis.lrem(rig.keys.auditEvents(), 1, (await rig.redis.lindex(rig.keys.auditEvents(), 9))!);
    const broken = await cli(['audit', 'verify', '--from-checkpoint'], env);
    expect(broken).toMatchObject({ code: 1, stderr: expect.stringMatching(/BROKEN at seq 10/) });
  });

  it('verifies the mirror file, alone and against Redis', async () => {
    expect(await cli(['audit', 'verify', '--file', rig.file], {})).toMatchObject({ code: 0 });
    expect(await cli(['audit', 'verify', '--file', rig.file, '--against-redis'], env)).toMatchObject({ code: 0 });
    const lines = (await readFile(rig.file, 'utf8')).split('\n');
    [lines[4], lines[5]] = [lines[5]!, lines[4]!];
    await writeFile(rig.file, lines.join('\n'));
    expect(await cli(['audit', 'verify', '--file', rig.file], {})).toMatchObject({ code: 1, stderr: expect.stringMatching(/BROKEN at seq 5/) });
    expect(await cli(['audit', 'verify', '--file', join(rig.dir, 'missing.jsonl')], {})).toMatchObject({ code: 66 });
  });

  it('exports CSV to a file and JSONL to stdout', async () => {
    const out = join(rig.dir, 'trail.csv');
    expect(await cli(['audit', 'export', '--format', 'csv', '--since', '2000-01-01T00:00:00Z', '--out', out], env)).toMatchObject({ code: 0 });
    const rows = parseCsv((await readFile(out, 'utf8')).replace(/^\uFEFF/, ''));
    expect(rows).toHaveLength(17); // header, 15 events, and the export's own audit event
    expect(rows[16]).toEqual(expect.arrayContaining(['audit.exported', expect.stringMatching(/^cli:/)]));
    const jsonl = await cli(['audit', 'export', '--actor', 'ops-alice'], env);
    expect(
      jsonl.stdout
        .trim()
        .split('\n')
        .map((l) => (JSON.parse(l) as { seq: number }).seq),
    ).toEqual([3, 6, 9, 12, 15]);
    expect(await cli(['audit', 'export', '--format', 'csv', '--out', out], env)).toMatchObject({ code: 64 }); // never overwrites
  });

  it('calls an empty trail empty (exit 1), naming the store and prefix it checked, unless --allow-empty', async () => {
    const url = new URL(inject('redisUrl'));
    url.username = 'auditor';
    url.password = 's3cret-pass';
    // What an operator gets with the wrong prefix (e.g. a shell without REDIS_PREFIX): a store with nothing in it.
    const wrong = { REDIS_URL: inject('redisUrl'), REDIS_PREFIX: `${rig.prefix}-nothing-here` };
    const empty = await cli(['audit', 'verify'], wrong);
    expect(empty).toMatchObject({ code: 1, stderr: expect.stringMatching(/EMPTY/) });
    expect(empty.stderr).toContain(`Redis ${inject('redisUrl')} prefix ${rig.prefix}-nothing-here`);
    expect(await cli(['audit', 'verify', '--allow-empty'], wrong)).toMatchObject({
      code: 0,
      stdout: expect.stringMatching(/intact, 0 events from seq 1, empty/),
    });
    expect(await cli(['audit', 'verify', '--from-checkpoint'], wrong)).toMatchObject({ code: 1, stderr: expect.stringMatching(/EMPTY/) });
    // Nothing new since a checkpoint is not an empty trail.
    await new AuditCheckpointer({ redis: rig.redis, keys: rig.keys, logger: silentLogger(), now: () => new Date(), intervalMs: 0 }).checkpoint();
    expect(await cli(['audit', 'verify', '--from-checkpoint'], env)).toMatchObject({ code: 0, stdout: expect.stringMatching(/intact, 0 events from seq 16/) });
    const emptyFile = join(rig.dir, 'empty.jsonl');
    await writeFile(emptyFile, '');
    expect(await cli(['audit', 'verify', '--file', emptyFile], {})).toMatchObject({ code: 1, stderr: expect.stringMatching(/EMPTY/) });
    expect(await cli(['audit', 'verify', '--file', emptyFile, '--allow-empty'], {})).toMatchObject({ code: 0 });
    // A password in REDIS_URL is never printed, neither with a verdict nor when Redis cannot be reached.
    const masked = await cli(['audit', 'verify'], { REDIS_URL: url.toString(), REDIS_PREFIX: `${rig.prefix}-nothing-here` });
    const unreachable = await cli(['audit', 'verify'], { REDIS_URL: 'redis://auditor:s3cret-pass@127.0.0.1:1' });
    expect(unreachable.code).toBe(69);
    for (const run of [masked, unreachable]) {
      expect(run.stdout + run.stderr).not.toContain('s3cret-pass');
      expect(run.stdout + run.stderr).toContain('auditor:***@127.0.0.1');
    }
  });

  it('re-anchors an event hashed by the Date defect with a signed event, and verifies strictly after it', async () => {
    await appendDateDefectEvent(rig, {
      actor: 'auditor',
      action: 'audit.exported',
      subject: 'audit:trail',
      outcome: 'success',
      details: { format: 'csv', filter: { since: new Date('2026-01-01T00:00:00Z') } },
    });
    await commit(rig.tx, 2, 17);
    const keyed = { ...env, AUDIT_REANCHOR_KEY: randomBytes(32).toString('base64') };
    expect(await cli(['audit', 'verify'], keyed)).toMatchObject({
      code: 1,
      stderr: expect.stringMatching(/BROKEN at seq 16: content does not match its hash/),
    });
    const args = ['audit', 'reanchor', '--seq', '16', '--reason', 'export before the fix of issue 10'];
    expect(await cli(args, env)).toMatchObject({ code: 78, stderr: expect.stringMatching(/AUDIT_REANCHOR_KEY/) });
    expect(await cli(['audit', 'reanchor', '--seq', '16'], keyed)).toMatchObject({ code: 64, stderr: expect.stringMatching(/--reason/) });
    expect(await cli(['audit', 'reanchor', '--seq', '17', '--reason', 'x'], keyed)).toMatchObject({
      code: 1,
      stderr: expect.stringMatching(/refused: verification fails at seq 16, not 17/),
    });

    const done = await cli(args, keyed);
    expect(done).toMatchObject({ code: 0, stdout: expect.stringMatching(/re-anchored seq 16: stored hash [0-9a-f]{64}, recomputed hash [0-9a-f]{64}/) });
    expect(done.stdout).toMatch(/intact with re-anchors at seq 16, 19 events from seq 1/);
    expect(await cli(['audit', 'verify'], keyed)).toMatchObject({ code: 0, stdout: expect.stringMatching(/intact with re-anchors at seq 16/) });
    expect(await cli(['audit', 'verify'], env)).toMatchObject({ code: 1, stderr: expect.stringMatching(/BROKEN at seq 16: .*no AUDIT_REANCHOR_KEY/) });
    const last = JSON.parse((await rig.redis.lindex(rig.keys.auditEvents(), -1))!) as { action: string; actor: string; details: Record<string, unknown> };
    expect(last).toMatchObject({
      action: 'audit.reanchored',
      actor: expect.stringMatching(/^cli:/),
      details: { reanchoredSeq: 16, reason: 'export before the fix of issue 10' },
    });

    // A later edit is reported where it is.
    const e18 = JSON.parse((await rig.redis.lindex(rig.keys.auditEvents(), 17))!) as Record<string, unknown>;
    await rig.redis.lset(rig.keys.auditEvents(), 17, JSON.stringify({ ...e18, actor: 'mallory' }));
    expect(await cli(['audit', 'verify'], keyed)).toMatchObject({ code: 1, stderr: expect.stringMatching(/BROKEN at seq 18/) });
  });

  it('explains usage and configuration problems', async () => {
    const [unknown, badFlag, badEnv, noRedis] = await Promise.all([
      cli(['audit', 'frobnicate'], env),
      cli(['audit', 'verify', '--bogus'], env),
      cli(['audit', 'verify'], { REDIS_URL: 'http://nope' }),
      cli(['audit', 'verify'], { REDIS_URL: 'redis://127.0.0.1:1' }),
    ]);
    expect(unknown).toMatchObject({ code: 64, stderr: expect.stringMatching(/usage/) });
    expect(badFlag).toMatchObject({ code: 64 });
    expect(badEnv).toMatchObject({ code: 78, stderr: expect.stringMatching(/REDIS_URL/) });
    expect(noRedis).toMatchObject({ code: 69 });
  });
});
