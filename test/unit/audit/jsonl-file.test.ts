import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { chainEvents, GENESIS_HASH } from '../../../src/audit/audit-event.js';
import { verifyJsonlFile } from '../../../src/audit/audit-verifier.js';
import { readCompleteLines, readLastLine } from '../../../src/audit/jsonl-file.js';
import { sampleEvent } from '../../support/audit-rig.js';

const lines = chainEvents(
  { seq: 0, hash: GENESIS_HASH },
  Array.from({ length: 6 }, (_, i) => sampleEvent(i + 1)),
  new Date(),
).map((e) => JSON.stringify(e));

describe('a JSON-lines audit file', () => {
  let dir: string;
  let file: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'leasehold-jsonl-'));
    file = join(dir, 'audit.jsonl');
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  const write = (content: string[]) => writeFile(file, content.map((l) => `${l}\n`).join(''));

  it('reads only the complete lines while a line is still being written', async () => {
    const collect = async () => {
      const out: string[] = [];
      for await (const line of readCompleteLines(file)) out.push(line);
      return out;
    };
    expect(await collect()).toEqual([]); // no file yet
    const long = 'x'.repeat(20_000); // longer than one read of the tail
    await writeFile(file, `${lines[0]}\n${long}\n${lines[1]!.slice(0, 40)}`);
    expect(await collect()).toEqual([lines[0], long]);
    await writeFile(file, lines[0]!.slice(0, 10));
    expect(await collect()).toEqual([]);
  });

  it('verifies when intact', async () => {
    await write(lines);
    expect(await verifyJsonlFile(file)).toMatchObject({ ok: true, count: 6, head: { seq: 6 } });
  });

  it('locates an edited, a deleted and a swapped line', async () => {
    await write(lines.map((l, i) => (i === 2 ? l.replace('req_3', 'req_99') : l)));
    expect(await verifyJsonlFile(file)).toMatchObject({ ok: false, firstBadSeq: 3 });
    await write(lines.filter((_, i) => i !== 3));
    expect(await verifyJsonlFile(file)).toMatchObject({ ok: false, firstBadSeq: 4 });
    await write([lines[0]!, lines[2]!, lines[1]!, ...lines.slice(3)]);
    expect(await verifyJsonlFile(file)).toMatchObject({ ok: false, firstBadSeq: 2 });
  });

  it('fails on a missing file rather than calling it intact', async () => {
    await expect(verifyJsonlFile(join(dir, 'nope.jsonl'))).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('reads the last line cheaply, even a long one, and notices a cut-off write', async () => {
    expect(await readLastLine(file)).toEqual({ line: null, complete: true, size: 0 });
    const long = JSON.stringify({ x: 'y'.repeat(50_000) });
    await writeFile(file, `${lines[0]}\n${long}\n`);
    expect((await readLastLine(file)).line).toBe(long);
    await writeFile(file, `${lines[0]}\n${lines[1]!.slice(0, 30)}`);
    expect(await readLastLine(file)).toMatchObject({ line: lines[1]!.slice(0, 30), complete: false });
    await writeFile(file, `${lines[0]}\n`);
    expect(await readLastLine(file)).toMatchObject({ line: lines[0], complete: true });
  });
});
