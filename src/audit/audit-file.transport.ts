import { mkdir, open, stat, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import TransportStream from 'winston-transport';

/** What the mirror logs: the stored event line as the message, its seq alongside. */
export interface AuditLine {
  level: string;
  message: string;
  seq: number;
}

/** The open file and the inode it was opened as. */
interface OpenFile {
  file: FileHandle;
  ino: number;
  dev: number;
}

type Waiter = { seq: number; resolve: () => void; reject: (err: Error) => void };

/**
 * A winston transport that appends each line, unchanged, to a JSON-lines
 * file opened with O_APPEND, and fsyncs each batch: an audit copy must not
 * sit in a page cache when the machine dies. Unlike winston's File transport
 * it never rotates, and it reports when a given seq is on disk
 * (`whenWritten`), which the mirror needs before it reads the file's tail
 * again. It never emits 'error' (that would crash a logger without a
 * listener): a failed write rejects the waiters and is retried by the mirror.
 */
export class AuditFileTransport extends TransportStream {
  private handle: Promise<OpenFile> | undefined;
  private written = 0;
  private waiters: Waiter[] = [];

  constructor(
    private readonly path: string,
    private readonly fsync = true,
  ) {
    super({ level: 'audit' });
  }

  override log(info: AuditLine, next: () => void): void {
    this.append([info]).then(next, next);
  }

  override logv(writes: { chunk: AuditLine }[], next: () => void): void {
    this.append(writes.map((w) => w.chunk)).then(next, next);
  }

  /** Resolves once every line up to `seq` is on disk; rejects if the write failed. */
  whenWritten(seq: number): Promise<void> {
    if (seq <= this.written) return Promise.resolve();
    return new Promise((resolve, reject) => this.waiters.push({ seq, resolve, reject }));
  }

  /** Forgets progress (after a failure or a lost lease): the file's tail is the truth again. */
  reset(): void {
    this.written = 0;
  }

  /** Closes the file; the transport reopens it on the next line. */
  async closeFile(): Promise<void> {
    const handle = this.handle;
    this.handle = undefined;
    if (handle) await (await handle.catch(() => undefined))?.file.close();
  }

  override close(): void {
    void this.closeFile();
  }

  private async append(lines: AuditLine[]): Promise<void> {
    const text = lines.map((l) => `${l.message}\n`).join('');
    const maxSeq = Math.max(...lines.map((l) => l.seq));
    try {
      let handle = await (this.handle ??= this.openFile());
      // Moved or deleted under us (logrotate, an operator): write to the path, not to the orphaned inode.
      if (!(await this.stillAtPath(handle))) {
        await handle.file.close().catch(() => undefined);
        handle = await (this.handle = this.openFile());
      }
      await handle.file.write(text);
      if (this.fsync) await handle.file.datasync();
      this.written = Math.max(this.written, maxSeq);
      this.settle();
    } catch (err) {
      // A handle that failed once (file removed, disk full) is reopened on the next try.
      this.handle = undefined;
      const error = err instanceof Error ? err : new Error(String(err));
      const waiters = this.waiters;
      this.waiters = [];
      for (const w of waiters) w.reject(error);
    }
  }

  /** Opens for appending and notes which inode it holds, so that each batch checks the path with one stat. */
  private async openFile(): Promise<OpenFile> {
    await mkdir(dirname(this.path), { recursive: true });
    const file = await open(this.path, 'a', 0o640);
    try {
      const { ino, dev } = await file.stat();
      return { file, ino, dev };
    } catch (err) {
      await file.close().catch(() => undefined);
      throw err;
    }
  }

  private async stillAtPath(handle: OpenFile): Promise<boolean> {
    try {
      const named = await stat(this.path);
      return handle.ino === named.ino && handle.dev === named.dev;
    } catch {
      return false;
    }
  }

  private settle(): void {
    const ready = this.waiters.filter((w) => w.seq <= this.written);
    if (!ready.length) return;
    this.waiters = this.waiters.filter((w) => w.seq > this.written);
    for (const w of ready) w.resolve();
  }
}
