import type { Logger } from '../logger.js';
import type { Page } from '../domain/ports/domain-store.port.js';
import type { SessionRecord } from '../sessions/session-record.js';
import type { ReportedOnce } from './reported-once.js';
import type { Notifier, RoomReviewSource } from './webhook-notifier.js';

/** Overdue sessions looked at per run (earliest due first); the rest are found by the next runs. */
const BATCH = 500;
/** How long a report is remembered: a review still overdue a month after its notice is notified again. */
export const REPORT_MEMORY_MS = 30 * 86_400_000;

/**
 * The `notify-watch` job: finds session reviews that became overdue and the
 * machine-room register's overdue review, and notifies each once
 * (`review.overdue`, `room.review_overdue`). "Once" is what ReportedOnce
 * remembers, shared in Redis, so any worker may run it and a restart reports
 * nothing again; it remembers for REPORT_MEMORY_MS, so it stays bounded
 * however many sessions there are, and an item still overdue after that is
 * reported again (a reminder).
 */
export class NotifyWatchService {
  constructor(
    private readonly deps: {
      sessions: { overdue(nowMs: number, offset: number, limit: number): Promise<Page<SessionRecord & { reviewDueAt: string }>> };
      rooms?: RoomReviewSource;
      reported: ReportedOnce;
      notifier: Notifier;
      logger: Logger;
      now: () => Date;
    },
  ) {}

  async run(): Promise<{ sessions: number; room: boolean }> {
    const { sessions, rooms, notifier, now } = this.deps;
    const at = now();
    let reported = 0;
    await this.deps.reported.forgetBefore(at.getTime() - REPORT_MEMORY_MS);
    const page = await sessions.overdue(at.getTime(), 0, BATCH);
    for (const s of page.items) {
      if (!(await this.deps.reported.mark(`review.overdue:${s.id}`, at.getTime()))) continue;
      await notifier.notify('review.overdue', s.id);
      reported++;
    }
    let room = false;
    const overdue = rooms ? await rooms.overdueReview(at) : null;
    if (overdue) {
      const periodStart = typeof overdue.periodStart === 'string' ? overdue.periodStart : overdue.periodStart.toISOString();
      if (await this.deps.reported.mark(`room.review_overdue:${periodStart}`, at.getTime())) {
        await notifier.notify('room.review_overdue', periodStart);
        room = true;
      }
    }
    if (reported || room) this.deps.logger.info('overdue reviews notified', { sessions: reported, room });
    return { sessions: reported, room };
  }
}
