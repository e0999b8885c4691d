/**
 * A clock a test moves by hand, for services that take `now: () => Date`.
 * `now` is a bound property, so pass it as is: `{ now: clock.now }`.
 */
export class FakeClock {
  private ms: number;

  constructor(start: Date | string = '2030-01-01T00:00:00.000Z') {
    this.ms = new Date(start).getTime();
  }

  /** The current instant (a fresh Date each call). */
  readonly now = (): Date => new Date(this.ms);

  /** Jumps to `at` (backwards too: clocks skew). */
  set(at: Date | string): void {
    this.ms = new Date(at).getTime();
  }

  /** Moves on by `ms` milliseconds; returns the new instant. */
  advance(ms: number): Date {
    this.ms += ms;
    return this.now();
  }
}
