import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { createInterface } from 'node:readline';

/** The last line of a JSON-lines file, and whether the file ends with a newline. */
export interface LastLine {
  /** null when the file is missing or empty. */
  line: string | null;
  /** false when the last write was cut short (no trailing newline). */
  complete: boolean;
  /** Size in bytes when read. */
  size: number;
}

/**
 * Reads only the tail of the file: the mirror checks where it stands before
 * every append, so this must stay cheap however long the trail grows.
 */
export async function readLastLine(path: string): Promise<LastLine> {
  let handle;
  try {
    handle = await open(path, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { line: null, complete: true, size: 0 };
    throw err;
  }
  try {
    const { size } = await handle.stat();
    if (size === 0) return { line: null, complete: true, size };
    let window = Math.min(size, 8192);
    for (;;) {
      const buf = Buffer.alloc(window);
      await handle.read(buf, 0, window, size - window);
      const complete = buf[window - 1] === 0x0a;
      const body = complete ? buf.subarray(0, window - 1) : buf;
      const nl = body.lastIndexOf(0x0a);
      if (nl >= 0 || window === size) {
        return { line: body.subarray(nl + 1).toString('utf8'), complete, size };
      }
      window = Math.min(size, window * 4);
    }
  } finally {
    await handle.close();
  }
}

/**
 * Every line of a file, streamed; a trailing newline adds no empty line.
 * @param missingIsEmpty treat a missing file as empty instead of failing (ENOENT)
 */
export async function* readLines(path: string, missingIsEmpty = false): AsyncGenerator<string> {
  const input = createReadStream(path, { encoding: 'utf8' });
  const lines = createInterface({ input, crlfDelay: Infinity });
  try {
    for await (const line of lines) yield line;
  } catch (err) {
    if (missingIsEmpty && (err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw err;
  } finally {
    lines.close();
    input.destroy();
  }
}

/** The length of the file up to and including its last newline: the complete lines as they stand now. */
async function completeLength(path: string): Promise<number> {
  let handle;
  try {
    handle = await open(path, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 0;
    throw err;
  }
  try {
    const { size } = await handle.stat();
    const buf = Buffer.alloc(8192);
    for (let end = size; end > 0;) {
      const start = Math.max(0, end - buf.length);
      const { bytesRead } = await handle.read(buf, 0, end - start, start);
      const nl = buf.subarray(0, bytesRead).lastIndexOf(0x0a);
      if (nl >= 0) return start + nl + 1;
      end = start;
    }
    return 0;
  } finally {
    await handle.close();
  }
}

/**
 * The complete lines of a file as it stands when called, streamed: a line
 * still being appended (no newline yet) and anything written afterwards are
 * left out, so a reader racing the mirror's writer sees a consistent prefix.
 * A missing file is empty.
 */
export async function* readCompleteLines(path: string): AsyncGenerator<string> {
  const length = await completeLength(path);
  if (length === 0) return;
  const input = createReadStream(path, { encoding: 'utf8', start: 0, end: length - 1 });
  const lines = createInterface({ input, crlfDelay: Infinity });
  try {
    for await (const line of lines) yield line;
  } finally {
    lines.close();
    input.destroy();
  }
}
