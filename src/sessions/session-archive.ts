import { createHash, randomBytes } from 'node:crypto';
import { mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { AppError } from '../errors.js';
import { syncDir } from './file-event-bodies.js';
import type { SessionRecord, StoredEvent } from './session-record.js';

/** An archived session's file no longer has the SHA-256 recorded for it (and in the audit trail). */
export class ArchiveAltered extends AppError {
  readonly status = 500;
  readonly code = 'archive_altered';
}

/** An archived session was asked for where its file cannot be read (no ARCHIVE_DIR here, or the file is not there): 503, as for sealed audit events. */
export class SessionArchiveUnavailable extends AppError {
  readonly status = 503;
  readonly code = 'archive_unavailable';
}

/** The document an archived session is kept as: its record as reviewed, and its events as the API returned them. */
export interface ArchivedSession {
  session: SessionRecord;
  events: StoredEvent[];
}

/**
 * Reviewed sessions archived by retention (session-archiver.service.ts): one
 * JSON document per session, `ARCHIVE_DIR/sessions/archived/<YYYY-MM>/<id>.json`
 * (month of its last event), written to a temporary name, fsynced, renamed,
 * and its directory fsynced. The same session always yields the same bytes
 * (a reviewed session never changes), so writing it again after a crash
 * gives the same file and the same hash.
 */
export class SessionArchive {
  constructor(private readonly archiveDir: string) {}

  /** Where a session's document goes, relative to ARCHIVE_DIR. */
  static fileOf(session: Pick<SessionRecord, 'id' | 'lastAt'>): string {
    return `sessions/archived/${session.lastAt.slice(0, 7)}/${session.id}.json`;
  }

  /** Writes the document durably; its relative path and SHA-256 (hex). */
  async write(doc: ArchivedSession): Promise<{ file: string; sha256: string }> {
    const file = SessionArchive.fileOf(doc.session);
    const path = join(this.archiveDir, file);
    const bytes = Buffer.from(`${JSON.stringify(doc)}\n`);
    await mkdir(dirname(path), { recursive: true });
    const temp = `${path}.tmp-${randomBytes(4).toString('hex')}`;
    const handle = await open(temp, 'w');
    try {
      await handle.writeFile(bytes);
      await handle.sync();
    } catch (err) {
      await handle.close().catch(() => undefined);
      await rm(temp, { force: true });
      throw err;
    }
    await handle.close();
    await rename(temp, path);
    await syncDir(dirname(path));
    return { file, sha256: createHash('sha256').update(bytes).digest('hex') };
  }

  /** The events of an archived session, once its file's SHA-256 is checked against the record's. */
  async events(session: Pick<SessionRecord, 'id' | 'archive'>): Promise<StoredEvent[]> {
    return (await this.read(session)).events;
  }

  /** An archived session's document (its full record and events), once its file's SHA-256 is checked against the record's. */
  async read(session: Pick<SessionRecord, 'id' | 'archive'>): Promise<ArchivedSession> {
    const ref = session.archive!;
    let bytes: Buffer;
    try {
      bytes = await readFile(join(this.archiveDir, ref.file));
    } catch (err) {
      throw new SessionArchiveUnavailable(
        `session ${session.id} was archived to ${ref.file} in ARCHIVE_DIR, which cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'}): is ARCHIVE_DIR mounted here, or was the file removed? Restore it from the copy`,
      );
    }
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    if (sha256 !== ref.sha256)
      throw new ArchiveAltered(`session ${session.id}: the archive ${ref.file} was altered (its SHA-256 is ${sha256}, the audit trail recorded ${ref.sha256})`);
    // Read and checked every time (no cache): an altered file is refused from the moment it is altered.
    return JSON.parse(bytes.toString()) as ArchivedSession;
  }
}
