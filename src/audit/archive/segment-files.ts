import { createHash, randomUUID } from 'node:crypto';
import { mkdir, open, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { parseEvent } from '../chain-checker.js';
import type { Seal } from './segment-seal.js';

/**
 * Where in a segment file each event lies, and which events name each actor
 * and subject: a search by a rare actor reads the few lines it needs, however
 * long the trail. Kept beside the segment (`….idx.json`); it is a lookup aid,
 * not evidence — the segment's SHA-256 and the chain are what verify.
 */
export interface SegmentIndex {
  /** Byte offset of each line; one more entry for the end of the last line. */
  offsets: number[];
  actors: Record<string, number[]>;
  subjects: Record<string, number[]>;
}

/** Why a verification stops at a segment file that is not there. */
export function missingSegment(seal: Seal, dir: string): string {
  return `segment ${seal.segment} (${seal.file}) is missing from ${dir}`;
}

/** Why a verification stops at a segment file whose bytes are not what was sealed. */
export function alteredSegment(seal: Seal): string {
  return `segment ${seal.segment} (${seal.file}) differs from the SHA-256 in its seal: the file was altered`;
}

/** The file names of a segment, relative to ARCHIVE_DIR. */
export function segmentPath(segment: number, fromSeq: number, toSeq: number): string {
  return join('audit', `segment-${String(segment).padStart(6, '0')}-${fromSeq}-${toSeq}.jsonl`);
}

function indexPathOf(file: string): string {
  return file.replace(/\.jsonl$/, '.idx.json');
}

function add(map: Record<string, number[]>, key: string, line: number): void {
  (Object.hasOwn(map, key) ? map[key]! : (map[key] = [])).push(line);
}

/** The index of a segment's stored lines. */
export function buildIndex(lines: readonly string[]): SegmentIndex {
  const index: SegmentIndex = { offsets: [], actors: {}, subjects: {} };
  let offset = 0;
  lines.forEach((raw, i) => {
    index.offsets.push(offset);
    offset += Buffer.byteLength(raw) + 1;
    const e = parseEvent(raw);
    if (typeof e === 'string') return;
    add(index.actors, e.actor, i);
    add(index.subjects, e.subject, i);
  });
  index.offsets.push(offset);
  return index;
}

async function writeDurably(path: string, data: string | Buffer): Promise<void> {
  const tmp = `${path}.${randomUUID()}.tmp`;
  await writeFile(tmp, data, { flush: true });
  await rename(tmp, path);
}

async function fsyncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Reads and writes segment files under ARCHIVE_DIR; remembers the indexes it read last. */
export class SegmentFiles {
  private readonly indexes = new Map<string, SegmentIndex>();

  constructor(
    readonly dir: string,
    private readonly cacheSize = 32,
  ) {}

  /**
   * Writes the stored lines of a segment (unchanged, one per line) and its
   * index, each to a temporary file that is fsynced and renamed into place,
   * then fsyncs the directory: once this returns, the segment survives a
   * crash. Returns the SHA-256 of the segment file's bytes.
   */
  async write(file: string, lines: readonly string[]): Promise<string> {
    const path = join(this.dir, file);
    await mkdir(dirname(path), { recursive: true });
    const data = Buffer.from(lines.map((l) => `${l}\n`).join(''));
    const index = buildIndex(lines);
    await writeDurably(path, data);
    await writeDurably(indexPathOf(path), JSON.stringify(index));
    await fsyncDir(dirname(path));
    this.remember(file, index);
    return createHash('sha256').update(data).digest('hex');
  }

  /** The whole file as stored, and its SHA-256. */
  async read(file: string): Promise<{ lines: string[]; sha256: string }> {
    const data = await readFile(join(this.dir, file));
    const text = data.toString('utf8');
    const lines = text.endsWith('\n') ? text.slice(0, -1).split('\n') : text === '' ? [] : text.split('\n');
    return { lines, sha256: createHash('sha256').update(data).digest('hex') };
  }

  /**
   * A sealed segment as its verifiers read it: its lines, and whether its
   * bytes still hash to its seal's SHA-256 (they check the chain first, to
   * name the first bad seq, then this); undefined when the file is missing.
   */
  async readSealed(seal: Seal): Promise<{ lines: string[]; altered: boolean } | undefined> {
    try {
      const { lines, sha256 } = await this.read(seal.file);
      return { lines, altered: sha256 !== seal.sha256 };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
  }

  /** The index of a sealed segment: its sidecar, or built from the segment when that is missing or does not fit. */
  async index(seal: Seal): Promise<SegmentIndex> {
    const cached = this.indexes.get(seal.file);
    if (cached) return cached;
    const count = seal.toSeq - seal.fromSeq + 1;
    let index: SegmentIndex | undefined;
    try {
      const parsed = JSON.parse(await readFile(join(this.dir, indexPathOf(seal.file)), 'utf8')) as SegmentIndex;
      if (Array.isArray(parsed.offsets) && parsed.offsets.length === count + 1 && parsed.actors && parsed.subjects) index = parsed;
    } catch {
      // missing or unreadable: rebuilt below
    }
    index ??= buildIndex((await this.read(seal.file)).lines);
    this.remember(seal.file, index);
    return index;
  }

  /** Lines `from`…`to` (positions within the segment, inclusive), read by offset without reading the rest. */
  async lines(seal: Seal, from: number, to: number): Promise<string[]> {
    if (to < from) return [];
    const { offsets } = await this.index(seal);
    const start = offsets[from]!;
    const end = offsets[to + 1]!;
    const handle = await open(join(this.dir, seal.file), 'r');
    try {
      const buf = Buffer.alloc(end - start);
      const { bytesRead } = await handle.read(buf, 0, buf.length, start);
      const text = buf.subarray(0, bytesRead).toString('utf8');
      return (text.endsWith('\n') ? text.slice(0, -1) : text).split('\n');
    } finally {
      await handle.close();
    }
  }

  /** The lines at the given positions, in the order given, each read by its offset (one open of the file). */
  async linesAt(seal: Seal, positions: readonly number[]): Promise<string[]> {
    if (positions.length === 0) return [];
    const { offsets } = await this.index(seal);
    const handle = await open(join(this.dir, seal.file), 'r');
    try {
      const out: string[] = [];
      for (const p of positions) {
        const start = offsets[p]!;
        const buf = Buffer.alloc(offsets[p + 1]! - start - 1);
        const { bytesRead } = await handle.read(buf, 0, buf.length, start);
        out.push(buf.subarray(0, bytesRead).toString('utf8'));
      }
      return out;
    } finally {
      await handle.close();
    }
  }

  private remember(file: string, index: SegmentIndex): void {
    this.indexes.delete(file);
    this.indexes.set(file, index);
    if (this.indexes.size > this.cacheSize) this.indexes.delete(this.indexes.keys().next().value!);
  }
}
