import type { AuditInput } from '../audit/audit-event.js';
import type { Logger } from '../logger.js';

/** What one sending address delivered in one period. */
interface SourceCounts {
  received: number;
  stored: number;
  duplicates: number;
  batches: number;
}

export interface SourceAuditSummaryOptions {
  /** Appends audit events (a Transactor commit). */
  write: (events: AuditInput[]) => Promise<void>;
  /** The period; one event per source per period. */
  intervalMs: number;
  /** `syslog`: the origin named in the events. */
  origin: string;
  logger: Logger;
  now?: () => Date;
}

/**
 * Audits a stream source by period instead of by flush: the syslog listener
 * stores what arrived about once a second, and one `sessions.ingested` per
 * flush would put tens of thousands of events a day into the trail that
 * auditors read. Instead each period ends with one event per sending
 * address, with the counts; a period in which nothing arrived writes nothing.
 * The session events themselves are stored (and flags audited) at once; only
 * this summary waits. Counts that fail to be written are kept for the next
 * period; those of a process that dies are lost (the events are not).
 */
export class SourceAuditSummary {
  private counts = new Map<string, SourceCounts>();
  private since: Date;
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<void> | undefined;
  private readonly now: () => Date;

  constructor(private readonly options: SourceAuditSummaryOptions) {
    this.now = options.now ?? (() => new Date());
    this.since = this.now();
  }

  /** Starts the period timer (it does not keep the process alive). */
  start(): void {
    this.timer ??= setInterval(() => void this.flush(), this.options.intervalMs).unref();
  }

  /** Adds what one stored batch brought from `source`. */
  count(source: string, c: { received: number; stored: number }): void {
    const prior = this.counts.get(source) ?? { received: 0, stored: 0, duplicates: 0, batches: 0 };
    this.counts.set(source, {
      received: prior.received + c.received,
      stored: prior.stored + c.stored,
      duplicates: prior.duplicates + c.received - c.stored,
      batches: prior.batches + 1,
    });
  }

  /** Writes one event per source counted since the last flush; nothing when nothing was counted. Never rejects. */
  flush(): Promise<void> {
    // One write at a time, in order: a flush waits for the one before it.
    const run = (this.writing ?? Promise.resolve()).then(() => this.writeOnce());
    this.writing = run;
    void run.finally(() => {
      if (this.writing === run) this.writing = undefined;
    });
    return run;
  }

  private async writeOnce(): Promise<void> {
    if (this.counts.size === 0) return;
    const counts = this.counts;
    const from = this.since;
    const to = this.now();
    this.counts = new Map();
    this.since = to;
    const events: AuditInput[] = [...counts]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([source, c]) => ({
        actor: this.options.origin,
        action: 'sessions.ingested',
        subject: `session-source:${this.options.origin}`,
        outcome: 'success' as const,
        details: { origin: this.options.origin, sourceAddress: source, from: from.toISOString(), to: to.toISOString(), ...c },
      }));
    try {
      await this.options.write(events);
    } catch (err) {
      // Keep the counts: the next period reports them together with its own.
      for (const [source, c] of counts) {
        const later = this.counts.get(source);
        this.counts.set(
          source,
          later
            ? {
                received: c.received + later.received,
                stored: c.stored + later.stored,
                duplicates: c.duplicates + later.duplicates,
                batches: c.batches + later.batches,
              }
            : c,
        );
      }
      this.since = from;
      this.options.logger.warn(`auditing the ${this.options.origin} summary failed; will retry next period`, {
        sources: counts.size,
        error: (err as Error).message,
      });
    }
  }

  /** Stops the timer and writes what is counted. */
  async close(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.flush();
  }
}
