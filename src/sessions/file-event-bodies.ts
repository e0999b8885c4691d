import { randomBytes } from 'node:crypto';
import { mkdir, open, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { UnreadableChunk, type EventBodies, type EventChunk } from './event-bodies.js';

/** A file is closed and a new one begun past this size, besides at every change of day. */
const MAX_FILE_BYTES = 1024 ** 3;

interface OpenFile {
  /** `<YYYY-MM-DD>/<name>`, as references name it (without `.jsonl`). */
  rel: string;
  day: string;
  handle: FileHandle;
  size: number;
}

/**
 * Session event bodies in day-partitioned append-only files under
 * `ARCHIVE_DIR/sessions/`: `sessions/2026-12-06/<writer>-<n>.jsonl`, where the
 * writer part is random per process, so that every file has one writer and
 * appends never interleave. Each chunk is one line `{"s":<session>,"e":[…]}`;
 * a batch's chunks are appended with one write and fsynced before `put`
 * resolves. A reference is `f<rel>:<offset>:<length>` of the line (without its
 * newline). Appends are serialised within the process.
 */
export class FileEventBodies implements EventBodies {
  readonly kind = 'file';
  private readonly writer = randomBytes(6).toString('base64url');
  private file: OpenFile | undefined;
  private files = 0;
  private tail: Promise<unknown> = Promise.resolve();
  private readonly root: string;

  constructor(
    archiveDir: string,
    private readonly now: () => Date,
  ) {
    this.root = join(archiveDir, 'sessions');
  }

  put(chunks: EventChunk[]): Promise<string[]> {
    const result = this.tail.then(() => this.append(chunks));
    this.tail = result.catch(() => undefined);
    return result;
  }

  private async append(chunks: EventChunk[]): Promise<string[]> {
    const lines = chunks.map((c) => Buffer.from(`{"s":${JSON.stringify(c.sessionId)},"e":${c.json}}\n`));
    const buffer = Buffer.concat(lines);
    const file = await this.current(buffer.length);
    try {
      for (let done = 0; done < buffer.length;) done += (await file.handle.write(buffer, done, buffer.length - done)).bytesWritten;
      await file.handle.datasync();
    } catch (err) {
      // The file's tail is unknown now: carry on in a new file, never after a partial line.
      this.file = undefined;
      await file.handle.close().catch(() => undefined);
      throw err;
    }
    const refs: string[] = [];
    let offset = file.size;
    for (const line of lines) {
      refs.push(`f${file.rel}:${offset}:${line.length - 1}`);
      offset += line.length;
    }
    file.size = offset;
    return refs;
  }

  /** The file to append `bytes` to: today's, unless it is full. */
  private async current(bytes: number): Promise<OpenFile> {
    const day = this.now().toISOString().slice(0, 10);
    const open_ = this.file;
    if (open_ && open_.day === day && open_.size + bytes <= MAX_FILE_BYTES) return open_;
    if (open_) {
      this.file = undefined;
      await open_.handle.close().catch(() => undefined);
    }
    const dir = join(this.root, day);
    await mkdir(dir, { recursive: true });
    const rel = `${day}/${this.writer}-${this.files++}`;
    const handle = await open(join(this.root, `${rel}.jsonl`), 'a');
    // The new name must survive a crash as well as the bytes: fsync the directory that holds it.
    await syncDir(dir);
    this.file = { rel, day, handle, size: (await handle.stat()).size };
    return this.file;
  }

  async get(sessionId: string, refs: string[]): Promise<string[]> {
    const parsed = refs.map(parseFileRef);
    const byFile = new Map<string, number[]>();
    parsed.forEach((r, i) => {
      const list = byFile.get(r.rel);
      if (list) list.push(i);
      else byFile.set(r.rel, [i]);
    });
    const out: string[] = new Array<string>(refs.length);
    for (const [rel, indexes] of byFile) {
      const handle = await open(join(this.root, `${rel}.jsonl`), 'r');
      try {
        // Positional reads of one handle may run at once: a long session's chunks are read together, not one by one.
        await Promise.all(
          indexes.map(async (i) => {
            const { offset, length } = parsed[i]!;
            const buffer = Buffer.alloc(length);
            const { bytesRead } = await handle.read(buffer, 0, length, offset);
            out[i] = chunkOf(sessionId, refs[i]!, buffer.subarray(0, bytesRead).toString());
          }),
        );
      } finally {
        await handle.close();
      }
    }
    return out;
  }

  drop(): Promise<void> {
    return Promise.resolve();
  }

  async close(): Promise<void> {
    await this.tail;
    const file = this.file;
    this.file = undefined;
    await file?.handle.close();
  }
}

/** `f<rel>:<offset>:<length>` → its parts. */
export function parseFileRef(ref: string): { rel: string; offset: number; length: number } {
  const m = /^f([0-9-]{10}\/[A-Za-z0-9_-]+):(\d+):(\d+)$/.exec(ref);
  if (!m) throw new UnreadableChunk(`session events are referenced as ${JSON.stringify(ref.slice(0, 40))}, which is not in ARCHIVE_DIR`);
  return { rel: m[1]!, offset: Number(m[2]), length: Number(m[3]) };
}

/** The events of a stored line (its JSON array), checked to be the session's. */
function chunkOf(sessionId: string, ref: string, line: string): string {
  const head = `{"s":${JSON.stringify(sessionId)},"e":[`;
  if (!line.startsWith(head) || !line.endsWith(']}'))
    throw new Error(`session ${sessionId}: the events at ${ref} are not this session's (the file was truncated or altered)`);
  return line.slice(head.length - 1, -1);
}

/** fsync a directory, so that a file created in it survives a crash. */
export async function syncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
