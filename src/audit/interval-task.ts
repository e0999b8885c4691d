/**
 * A piece of background work run every `intervalMs` in this process (the
 * audit checkpoint, the sealing of segments): never two runs at once, a run
 * skipped while `shouldRun` says no, a failure handed to `onError` and tried
 * again at the next tick. The timer does not keep the process alive.
 */
export class IntervalTask {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> | undefined;

  constructor(
    private readonly intervalMs: number,
    private readonly work: () => Promise<unknown>,
    private readonly onError: (err: Error) => void,
    private readonly shouldRun: () => boolean = () => true,
  ) {}

  /** Starts the timer; an interval of 0 or less leaves it off. */
  start(): void {
    if (this.intervalMs <= 0) return;
    this.timer = setInterval(() => {
      if (this.running || !this.shouldRun()) return;
      this.running = this.work()
        .catch((err: unknown) => this.onError(err instanceof Error ? err : new Error(String(err))))
        .finally(() => (this.running = undefined));
    }, this.intervalMs);
    this.timer.unref();
  }

  /** Stops the timer and waits for a run under way. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }
}
