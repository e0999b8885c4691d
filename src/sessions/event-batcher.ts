import type { Logger } from '../logger.js';
import type { NormalizedEvent } from './session-event.schema.js';

export interface EventBatcherOptions<T = NormalizedEvent> {
  /** Stores one batch durably (SessionIngestService.ingest). */
  flush: (events: T[]) => Promise<unknown>;
  logger: Logger;
  /** Flush at least this often while events wait. Default 1000 ms. */
  flushMs?: number;
  /** Flush as soon as this many wait. Default 1000 (the HTTP batch limit). */
  maxBatch?: number;
  /** Events held at most while the store is unreachable; beyond it the oldest are dropped and counted. Default 100,000. */
  maxBuffered?: number;
  onDropped?: (count: number) => void;
}

/**
 * Collects events from a stream source (syslog) into batches for the ingest
 * service. A failed flush keeps the events and tries again on the next tick,
 * so a Redis outage delays events instead of losing them, up to maxBuffered.
 * Items are events, or events with what the source needs to know about them.
 */
export class EventBatcher<T = NormalizedEvent> {
  private buffer: T[] = [];
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> | undefined;
  private closed = false;
  /** Events dropped from the front so far: a flush in progress must not remove newer ones in their place. */
  private dropped = 0;
  private readonly flushMs: number;
  private readonly maxBatch: number;
  private readonly maxBuffered: number;

  constructor(private readonly options: EventBatcherOptions<T>) {
    this.flushMs = options.flushMs ?? 1000;
    this.maxBatch = options.maxBatch ?? 1000;
    this.maxBuffered = options.maxBuffered ?? 100_000;
  }

  add(event: T): void {
    this.buffer.push(event);
    if (this.buffer.length > this.maxBuffered) {
      const excess = this.buffer.length - this.maxBuffered;
      this.buffer.splice(0, excess);
      this.dropped += excess;
      this.options.onDropped?.(excess);
    }
    if (this.buffer.length >= this.maxBatch) this.kick();
    else if (!this.timer && !this.closed) this.timer = setTimeout(() => this.kick(), this.flushMs);
  }

  /** Events not yet stored. */
  get pending(): number {
    return this.buffer.length;
  }

  /** Stores whatever waits (once more if it fails) and stops the timer. */
  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.flushing;
    await this.drain();
  }

  private kick(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.flushing) return;
    this.flushing = this.drain().finally(() => {
      this.flushing = undefined;
      if (this.buffer.length > 0 && !this.closed) this.timer = setTimeout(() => this.kick(), this.flushMs);
    });
  }

  private async drain(): Promise<void> {
    while (this.buffer.length > 0) {
      const batch = this.buffer.slice(0, this.maxBatch);
      const droppedBefore = this.dropped;
      try {
        await this.options.flush(batch);
      } catch (err) {
        this.options.logger.warn('storing syslog session events failed; will retry', { pending: this.buffer.length, error: (err as Error).message });
        return;
      }
      this.buffer.splice(0, Math.max(0, batch.length - (this.dropped - droppedBefore)));
    }
  }
}
