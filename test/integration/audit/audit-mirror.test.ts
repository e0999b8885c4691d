import { createSocket } from 'node:dgram';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { appendFile, readFile, rename, writeFile } from 'node:fs/promises';
import { afterEach, beforeEach, describe, expect, inject, it } from 'vitest';
import { AuditMirror, type AuditMirrorOptions } from '../../../src/audit/audit-mirror.js';
import { AuditVerifier, verifyJsonlFile } from '../../../src/audit/audit-verifier.js';
import { silentLogger } from '../../support/log-capture.js';
import { auditRig, commit, type AuditRig } from '../../support/audit-rig.js';

describe('the JSON-lines mirror', () => {
  let rig: AuditRig;
  const mirrors: AuditMirror[] = [];
  beforeEach(async () => void (rig = await auditRig(inject('redisUrl'))));
  afterEach(async () => {
    for (const m of mirrors.splice(0)) await m.close();
    await rig.close();
  });

  function mirror(options: Partial<AuditMirrorOptions> = {}): AuditMirror {
    const m = new AuditMirror({ redis: rig.redis, keys: rig.keys, file: rig.file, logger: silentLogger(), fsync: false, pollMs: 50, ...options });
    mirrors.push(m);
    return m;
  }

  const fileLines = async () => (await readFile(rig.file, 'utf8')).split('\n').filter(Boolean);
  const redisLines = () => rig.redis.lrange(rig.keys.auditEvents(), 0, -1);

  it('holds exactly the stored lines, one event per line, fed by onCommit', async () => {
    const m = mirror();
    rig.tx.onCommit(m.onCommit);
    await m.start();
    expect(m.isLeader()).toBe(true);
    await commit(rig.tx, 12);
    await m.sync();
    expect(await fileLines()).toEqual(await redisLines());
    expect(await new AuditVerifier(rig.redis, rig.keys).verifyFile(rig.file)).toMatchObject({ ok: true, count: 12, behindBy: 0 });
  });

  it('catches up from Redis at start-up after falling behind', async () => {
    const first = mirror();
    rig.tx.onCommit(first.onCommit);
    await first.start();
    await commit(rig.tx, 5);
    await first.close();
    await commit(rig.tx, 30, 6); // committed while no mirror ran
    const second = mirror();
    await second.start();
    expect(second.status()).toMatchObject({ leader: true, lastSeq: 35, halted: null });
    expect(await fileLines()).toEqual(await redisLines());
    expect(await verifyJsonlFile(rig.file)).toMatchObject({ ok: true, count: 35 });
  });

  it('has one writer when several processes mirror to one file, and others pick up when it stops', async () => {
    const [txA, txB] = [rig.newTransactor(), rig.newTransactor()];
    const a = mirror();
    const b = mirror();
    txA.onCommit(a.onCommit);
    txB.onCommit(b.onCommit);
    await a.start();
    await b.start();
    expect([a.isLeader(), b.isLeader()]).toEqual([true, false]);
    await Promise.all([commit(txA, 40, 1, { actor: 'a' }), commit(txB, 40, 1, { actor: 'b' })]);
    await a.sync(); // the writer polls Redis for what b committed
    expect(await fileLines()).toEqual(await redisLines());
    await a.close(); // releases the lease
    await commit(txB, 10, 41, { actor: 'b' });
    await b.sync();
    expect(b.isLeader()).toBe(true);
    expect(await fileLines()).toEqual(await redisLines());
    expect(await verifyJsonlFile(rig.file)).toMatchObject({ ok: true, count: 90 });
  });

  it('starts a complete new file when the old one is moved away (rotation)', async () => {
    const m = mirror();
    rig.tx.onCommit(m.onCommit);
    await m.start();
    await commit(rig.tx, 5);
    await m.sync();
    await rename(rig.file, `${rig.file}.1`);
    await commit(rig.tx, 2, 6);
    await m.sync();
    expect(await fileLines()).toEqual(await redisLines());
    expect((await readFile(`${rig.file}.1`, 'utf8')).trim().split('\n')).toHaveLength(5);
  });

  describe('when the file is tampered with', () => {
    beforeEach(async () => {
      const m = mirror();
      rig.tx.onCommit(m.onCommit);
      await m.start();
      await commit(rig.tx, 10);
      await m.close();
    });
    const rewrite = async (change: (lines: string[]) => string[]) =>
      writeFile(
        rig.file,
        change(await fileLines())
          .map((l) => `${l}\n`)
          .join(''),
      );
    const verifier = () => new AuditVerifier(rig.redis, rig.keys);

    it('locates an edited line', async () => {
      await rewrite((l) => l.map((x, i) => (i === 5 ? x.replace('"outcome":"success"', '"outcome":"failure"') : x)));
      expect(await verifyJsonlFile(rig.file)).toMatchObject({ ok: false, firstBadSeq: 6 });
      expect(await verifier().verifyFile(rig.file)).toMatchObject({ ok: false, firstBadSeq: 6 });
    });

    it('locates a deleted line', async () => {
      await rewrite((l) => l.filter((_, i) => i !== 2));
      expect(await verifier().verifyFile(rig.file)).toMatchObject({ ok: false, firstBadSeq: 3 });
    });

    it('locates two swapped lines', async () => {
      await rewrite((l) => [...l.slice(0, 7), l[8]!, l[7]!, l[9]!]);
      expect(await verifier().verifyFile(rig.file)).toMatchObject({ ok: false, firstBadSeq: 8 });
    });

    it('notices lines deleted at the end only against Redis, as lag, and refills them', async () => {
      await rewrite((l) => l.slice(0, 7));
      expect(await verifier().verifyFile(rig.file)).toMatchObject({ ok: true, count: 7, behindBy: 3 });
      await mirror().start();
      expect(await fileLines()).toEqual(await redisLines());
    });

    it('stops appending, and says why, after a cut-off last line', async () => {
      await appendFile(rig.file, '{"seq":11,"trunc');
      const m = mirror();
      await m.start();
      expect(m.status().halted).toMatch(/incomplete line/);
      expect((await readFile(rig.file, 'utf8')).endsWith('"trunc')).toBe(true);
    });

    it('does not copy a broken Redis trail onto the good file', async () => {
      await commit(rig.tx, 3, 11);
      await rig.redis.lset(rig.keys.auditEvents(), 11, (await rig.redis.lindex(rig.keys.auditEvents(), 11))!.replace('req_12', 'req_0'));
      const m = mirror();
      await m.start();
      expect(m.status()).toMatchObject({ lastSeq: 11, halted: expect.stringMatching(/broken at seq 12/) });
      expect(await verifyJsonlFile(rig.file)).toMatchObject({ ok: true, count: 11 });
    });
  });

  it('forwards each mirrored event to syslog over UDP', async () => {
    const receiver = createSocket('udp4');
    receiver.bind(0, '127.0.0.1');
    await once(receiver, 'listening');
    const got: string[] = [];
    receiver.on('message', (msg) => got.push(msg.toString()));
    const m = mirror({ syslogUrl: `udp://127.0.0.1:${receiver.address().port}` });
    rig.tx.onCommit(m.onCommit);
    await m.start();
    await commit(rig.tx, 3);
    await m.sync();
    await expect.poll(() => got.length).toBe(3);
    expect(got[0]).toMatch(/^<110>1 \S+ \S+ leasehold \d+ request\.approved - \{"seq":1,/);
    expect(got.map((g) => g.slice(g.indexOf(' - ') + 3))).toEqual(await redisLines());
    receiver.close();
  });

  it('forwards over TCP with octet-counted frames', async () => {
    let received = '';
    const server = createServer((socket) => socket.on('data', (d) => (received += d.toString())));
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const m = mirror({ syslogUrl: `tcp://127.0.0.1:${(server.address() as { port: number }).port}` });
    rig.tx.onCommit(m.onCommit);
    await m.start();
    await commit(rig.tx, 4);
    await m.sync();
    const frames = () => {
      const out: string[] = [];
      for (let rest = received; rest;) {
        const space = rest.indexOf(' ');
        const len = Number(rest.slice(0, space));
        out.push(rest.slice(space + 1, space + 1 + len));
        rest = rest.slice(space + 1 + len);
      }
      return out;
    };
    await expect.poll(() => frames().length).toBe(4);
    expect(frames().map((f) => f.slice(f.indexOf(' - ') + 3))).toEqual(await redisLines());
    await m.close();
    await new Promise((resolve) => server.close(resolve));
  });
});
