import { createHash, randomBytes } from 'node:crypto';
import { mkdir, open, readdir, readFile, rename, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Page } from '../domain/ports/domain-store.port.js';
import { AppError } from '../errors.js';
import { syncDir } from './file-event-bodies.js';
import type { SessionRecord, SessionReview, StoredEvent } from './session-record.js';
import { encodeCursor, type SessionFilter } from './session-store.port.js';

/** An archived session's file no longer has the SHA-256 recorded for it (in its manifest and the audit trail). */
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
 * One line of the manifests (`by-request/<r>.jsonl`, `by-account/<a>.jsonl`,
 * `by-shard/<s>.jsonl`): what lists filter and sort on, and the file with its
 * SHA-256 (also in the audit trail's `session.archived`, the authoritative copy).
 */
export interface ManifestLine {
  id: string;
  n: number;
  account: string;
  requestId?: string;
  lastAt: string;
  eventCount: number;
  flagged: boolean;
  review?: SessionReview;
  file: string;
  sha256: string;
  /** Events in the file. */
  events: number;
  /** When it was archived. */
  at: string;
}

/** Ids as newId makes them; nothing else names a file. */
const ID = /^[a-z]{3}_[0-9a-z]{8,40}$/;

const ID_ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz';

/** `<UTC day of the id's creation>/<its last two characters>` (ids as newId makes them: prefix, 10 characters of time, random). */
function shardOf(id: string): string {
  let ms = 0;
  for (const c of id.slice(4, 14)) ms = ms * 32 + Math.max(0, ID_ALPHABET.indexOf(c));
  const day = new Date(Math.min(ms, 8.64e15)).toISOString().slice(0, 10);
  return `${day}/${id.slice(-2)}`;
}

/** Cursors of a list's archived part are this plus the list position the next page starts below. */
export const ARCHIVED_CURSOR = 2 ** 52;
const ARCHIVED_START = 2 ** 52 - 1;

/**
 * A name safe as one path component for any string: `[a-z0-9_-]` kept,
 * every other byte as `%XX`; a name that would be too long becomes `%h` and
 * its SHA-256 (no encoding yields `%h`).
 */
export function fileNameOf(value: string): string {
  let out = '';
  for (const b of Buffer.from(value)) {
    const c = String.fromCharCode(b);
    out += /[a-z0-9_-]/.test(c) ? c : `%${b.toString(16).padStart(2, '0').toUpperCase()}`;
  }
  return out.length > 0 && out.length <= 200 ? out : `%h${createHash('sha256').update(value).digest('hex')}`;
}

/** The lines of a manifest, each session once (a retried run may have written it twice: the last line counts), newest first. */
function parseManifest(text: string): ManifestLine[] {
  const byId = new Map<string, ManifestLine>();
  for (const line of text.split('\n')) {
    if (!line) continue;
    try {
      const l = JSON.parse(line) as ManifestLine;
      if (typeof l.id === 'string') byId.set(l.id, l);
    } catch {
      // A line cut short by a crash mid-append: its session was not dropped from Redis (the commit comes after the fsync).
    }
  }
  return [...byId.values()].sort((a, b) => b.n - a.n);
}

/**
 * Reviewed sessions archived by retention (session-archiver.service.ts;
 * docs/sessions.md, Retention). Each session is one JSON document,
 * `ARCHIVE_DIR/sessions/archived/<day>/<xx>/<id>.json` (the UTC day its id
 * was made and the id's last two characters: the path follows from the id alone),
 * written to a temporary name, fsynced, renamed, and its directory fsynced.
 * The same session always yields the same bytes (a reviewed session never
 * changes), so writing it again after a crash gives the same file and hash.
 *
 * Append-only manifests, one line per archived session, serve what Redis no
 * longer holds: by request and by account (lists, evidence packs, request
 * sign-off) and by shard (reading one session by id). Every read of a file
 * checks its SHA-256 against the manifest line.
 */
export class SessionArchive {
  constructor(private readonly archiveDir: string) {}

  /**
   * Where a session's document goes, relative to ARCHIVE_DIR; undefined for
   * what is not a session id. The id holds its creation time (newId): the
   * directory is that UTC day and the id's last two (random) characters, so
   * no directory or shard manifest grows with the years.
   */
  static fileOf(id: string): string | undefined {
    return ID.test(id) ? `sessions/archived/${shardOf(id)}/${id}.json` : undefined;
  }

  static manifestOfRequest(requestId: string): string {
    return `sessions/archived/by-request/${fileNameOf(requestId)}.jsonl`;
  }
  static manifestOfAccount(account: string): string {
    return `sessions/archived/by-account/${fileNameOf(account.toLowerCase())}.jsonl`;
  }
  static manifestOfShard(id: string): string {
    return `sessions/archived/by-shard/${shardOf(id)}.jsonl`;
  }

  /**
   * Writes the document durably; its relative path and SHA-256 (hex). With
   * `line`, the session's manifest line (made of the path and hash) is
   * appended to its manifests at the same time, all fsynced when this returns.
   */
  async write(doc: ArchivedSession, line?: (ref: { file: string; sha256: string }) => ManifestLine): Promise<{ file: string; sha256: string }> {
    const file = SessionArchive.fileOf(doc.session.id);
    if (!file) throw new Error(`not a session id: ${JSON.stringify(doc.session.id)}`);
    const bytes = Buffer.from(`${JSON.stringify(doc)}\n`);
    const ref = { file, sha256: createHash('sha256').update(bytes).digest('hex') };
    // In parallel: the fsyncs of the file and of the manifests share the file system's journal commits.
    await Promise.all([this.writeFile(file, bytes), line ? this.record(line(ref)) : undefined]);
    return ref;
  }

  private async writeFile(file: string, bytes: Buffer): Promise<void> {
    const path = join(this.archiveDir, file);
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
  }

  /** Appends a session's line to its manifests (request, account, shard) and fsyncs them, all before the commit that drops it from Redis. */
  async record(line: ManifestLine): Promise<void> {
    const text = `${JSON.stringify(line)}\n`;
    const files = [SessionArchive.manifestOfAccount(line.account), SessionArchive.manifestOfShard(line.id)];
    if (line.requestId) files.push(SessionArchive.manifestOfRequest(line.requestId));
    await Promise.all(files.map((f) => this.append(join(this.archiveDir, f), text)));
  }

  private async append(path: string, text: string): Promise<void> {
    await mkdir(dirname(path), { recursive: true });
    const handle = await open(path, 'a');
    let created: boolean;
    try {
      await handle.appendFile(text);
      await handle.sync();
      created = (await handle.stat()).size === Buffer.byteLength(text);
    } finally {
      await handle.close();
    }
    if (created) await syncDir(dirname(path));
  }

  /** The archived sessions of a request (or, without one, of an account), each once, newest first. */
  async manifest(of: { requestId: string } | { account: string }): Promise<ManifestLine[]> {
    return this.readManifest('requestId' in of ? SessionArchive.manifestOfRequest(of.requestId) : SessionArchive.manifestOfAccount(of.account));
  }

  private async readManifest(file: string): Promise<ManifestLine[]> {
    try {
      return parseManifest(await readFile(join(this.archiveDir, file), 'utf8'));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
  }

  /**
   * The sessions every shard manifest lists (`leasehold audit verify --archive`
   * holds them against the `session.archived` events of the trail).
   */
  async shardLines(): Promise<ManifestLine[]> {
    const root = join(this.archiveDir, 'sessions/archived/by-shard');
    let names: string[];
    try {
      names = (await readdir(root, { recursive: true })).filter((n) => n.endsWith('.jsonl'));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
    const out: ManifestLine[] = [];
    for (const name of names.sort()) out.push(...(await this.readManifest(join('sessions/archived/by-shard', name))));
    return out;
  }

  /** The line of an archived session, or undefined when its shard's manifest does not list it (never archived). */
  async lineOf(id: string): Promise<ManifestLine | undefined> {
    if (!SessionArchive.fileOf(id)) return undefined;
    return (await this.readManifest(SessionArchive.manifestOfShard(id))).find((l) => l.id === id);
  }

  /** An archived session's full record (`archive` set), its file's SHA-256 checked against the manifest. */
  async recordOf(line: ManifestLine): Promise<SessionRecord> {
    const { session } = await this.read(line);
    return { ...session, archive: { file: line.file, sha256: line.sha256, events: line.events, at: line.at } };
  }

  /** The events of an archived session, once its file's SHA-256 is checked. */
  async events(session: Pick<SessionRecord, 'id' | 'archive'>): Promise<StoredEvent[]> {
    return (await this.read({ id: session.id, ...session.archive! })).events;
  }

  /** An archived session's document (its full record and events), once its file's SHA-256 is checked against `ref`'s. */
  async read(ref: { id: string; file: string; sha256: string }): Promise<ArchivedSession> {
    let bytes: Buffer;
    try {
      bytes = await readFile(join(this.archiveDir, ref.file));
    } catch (err) {
      throw new SessionArchiveUnavailable(
        `session ${ref.id} was archived to ${ref.file} in ARCHIVE_DIR, which cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'}): is ARCHIVE_DIR mounted here, or was the file removed? Restore it from the copy`,
      );
    }
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    if (sha256 !== ref.sha256)
      throw new ArchiveAltered(`session ${ref.id}: the archive ${ref.file} was altered (its SHA-256 is ${sha256}, the audit trail recorded ${ref.sha256})`);
    // Read and checked every time (no cache): an altered file is refused from the moment it is altered.
    const doc = JSON.parse(bytes.toString()) as ArchivedSession;
    if (doc.session?.id !== ref.id) throw new ArchiveAltered(`session ${ref.id}: the archive ${ref.file} holds another session`);
    return doc;
  }

  /**
   * A list by request or account, continued into the archive: `live` pages
   * through what Redis holds; once that is exhausted, the manifest's sessions
   * follow, newest first (cursors of that part are ARCHIVED_CURSOR plus a list
   * position). `isLive` says which of some ids are still in Redis (listed
   * there, or archived by a run whose commit failed): those are skipped here.
   * Other lists (no request or account named, or only unreviewed sessions)
   * are what Redis holds.
   */
  async list(
    filter: SessionFilter,
    cursor: number | undefined,
    limit: number,
    live: (cursor: number | undefined) => Promise<Page<SessionRecord>>,
    isLive: (ids: string[]) => Promise<boolean[]>,
  ): Promise<Page<SessionRecord>> {
    const inArchive = cursor !== undefined && cursor >= ARCHIVED_CURSOR;
    if ((!filter.requestId && !filter.account) || filter.reviewed === false) return inArchive ? { items: [], nextCursor: null } : live(cursor);
    const items: SessionRecord[] = [];
    if (!inArchive) {
      const page = await live(cursor);
      if (page.nextCursor !== null) return page;
      items.push(...page.items);
    }
    const below = inArchive ? cursor - ARCHIVED_CURSOR : ARCHIVED_START;
    const account = filter.account?.toLowerCase();
    const lines = (await this.manifest(filter.requestId ? { requestId: filter.requestId } : { account: account! })).filter(
      (l) =>
        l.n < below &&
        (account === undefined || l.account.toLowerCase() === account) &&
        (filter.requestId === undefined || l.requestId === filter.requestId) &&
        (filter.flagged === undefined || l.flagged === filter.flagged),
    );
    const room = limit - items.length;
    const found: ManifestLine[] = [];
    for (let i = 0; found.length <= room && i < lines.length;) {
      const chunk = lines.slice(i, i + room + 1 - found.length);
      i += chunk.length;
      const stillLive = await isLive(chunk.map((l) => l.id));
      chunk.forEach((l, k) => !stillLive[k] && found.push(l));
    }
    const take = found.slice(0, room);
    items.push(...(await Promise.all(take.map((l) => this.recordOf(l)))));
    return { items, nextCursor: found.length > room ? encodeCursor(ARCHIVED_CURSOR + (take.length ? take[take.length - 1]!.n : below)) : null };
  }
}
