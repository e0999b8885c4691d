import type { Logger } from '../logger.js';
import type { SessionArchive } from './session-archive.js';
import type { SessionRecord } from './session-record.js';
import { sessionRef, type SessionStore } from './session-store.port.js';

const DAY_MS = 24 * 3_600_000;
/** Sessions looked at per read of the archival index. */
const PAGE = 100;
/** Most sessions one run archives: a backlog is worked off over several runs, each a bounded job. */
const MAX_PER_RUN = 2000;

/**
 * Retention archival of reviewed sessions (docs/sessions.md, Retention): a
 * reviewed session whose last event is older than `sessions.retentionDays`
 * is written with its events to one JSON document under ARCHIVE_DIR and
 * listed in the archive's manifests (SessionArchive, all fsynced), and then,
 * in one unit of work, everything of it leaves Redis (record, events or
 * their references, index entries, live entry) and `session.archived` with
 * the file's SHA-256 enters the audit trail. The session still reads by id
 * and lists by request or account, from the file (hash checked against the
 * manifest). Idempotent: an archived session leaves the archival index in
 * that same commit; a run that died after writing the file writes the same
 * bytes again next time, and its manifest line again (read once).
 */
export class SessionArchiverService {
  constructor(
    private readonly deps: {
      store: SessionStore;
      archive: SessionArchive;
      retentionDays: number;
      logger: Logger;
      now: () => Date;
    },
  ) {}

  /** Archives what is due; how many sessions it archived. */
  async run(): Promise<{ archived: number }> {
    const { store, retentionDays, now, logger } = this.deps;
    const cutoff = now().getTime() - retentionDays * DAY_MS;
    let archived = 0;
    const skipped = new Set<string>();
    while (archived + skipped.size < MAX_PER_RUN) {
      const ids = (await store.archiveDue(cutoff, PAGE + skipped.size)).filter((id) => !skipped.has(id));
      if (ids.length === 0) break;
      for (const id of ids) {
        if (await this.archiveOne(id, cutoff)) archived++;
        else skipped.add(id);
      }
    }
    if (archived) logger.info('sessions archived', { archived, retentionDays });
    return { archived };
  }

  /** Archives one session if it is still due; false when it was not (gone, changed or already archived). */
  private async archiveOne(id: string, cutoff: number): Promise<boolean> {
    const { store, archive, now, retentionDays } = this.deps;
    const record = await store.getSession(id);
    if (!record?.review || record.archive || Date.parse(record.lastAt) >= cutoff) return false;
    const events = await store.getEvents(record, 0, Math.max(1, record.eventCount));
    const at = now().toISOString();
    // The file and its manifest lines are durable before the commit that drops the session from Redis; a run that
    // fails after this writes the same file and appends the line again next time (readers take each session once).
    const { file, sha256 } = await archive.write({ session: record, events }, (ref) => ({
      id,
      n: record.n,
      account: record.account,
      ...(record.requestId ? { requestId: record.requestId } : {}),
      lastAt: record.lastAt,
      eventCount: record.eventCount,
      flagged: record.flags.length > 0,
      ...(record.review ? { review: record.review } : {}),
      ...ref,
      events: events.length,
      at,
    }));
    return store.run([sessionRef.session(id)], async (read) => {
      const current = await read.session(id);
      // A reviewed session never changes; if this one did, the file may not describe it: leave it to the next run.
      if (!current || current.archive || !sameRecord(current, record)) return { events: [], result: false };
      const archivedSession: SessionRecord = { ...record, archive: { file, sha256, events: events.length, at } };
      return {
        writes: (w) => w.putArchived(archivedSession),
        events: [
          {
            actor: 'worker',
            action: 'session.archived',
            subject: `session:${id}`,
            outcome: 'success',
            details: { file, sha256, events: events.length, retentionDays },
          },
        ],
        result: true,
      };
    });
  }
}

function sameRecord(a: SessionRecord, b: SessionRecord): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}
