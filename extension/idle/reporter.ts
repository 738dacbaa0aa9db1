/** Timers the reporter runs on; a test hands it a fake clock. */
export interface Clock {
  now(): number;
  setTimeout(run: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** The real clock. */
export const SYSTEM_CLOCK: Clock = {
  now: () => Date.now(),
  setTimeout: (run, ms) => setTimeout(run, ms),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

/** At most one presence report a minute: the agent's idle timeouts are counted in minutes. */
export const REPORT_INTERVAL_MS = 60_000;

/**
 * Turns a stream of presence events (edits, typing, focus) into at most one report per interval,
 * and only when an event happened since the last report: the first event after a quiet interval is
 * reported at once, later ones are folded into one report at the end of the interval. A failed report
 * is dropped, not retried: only a new event may claim presence again. Free of `vscode`.
 */
export class ActivityReporter {
  private lastSent = Number.NEGATIVE_INFINITY;
  /** An event happened that no report has covered yet. */
  private pending = false;
  private sending = false;
  private timer: unknown = null;
  private disposed = false;

  constructor(
    private readonly send: () => Promise<void>,
    private readonly onError: (err: unknown) => void = () => undefined,
    private readonly intervalMs = REPORT_INTERVAL_MS,
    private readonly clock: Clock = SYSTEM_CLOCK,
  ) {}

  /** Someone did something in the window. */
  activity(): void {
    if (this.disposed) return;
    this.pending = true;
    if (this.timer !== null || this.sending) return;
    const wait = this.lastSent + this.intervalMs - this.clock.now();
    if (wait <= 0) return void this.flush();
    this.timer = this.clock.setTimeout(() => {
      this.timer = null;
      void this.flush();
    }, wait);
  }

  dispose(): void {
    this.disposed = true;
    if (this.timer !== null) this.clock.clearTimeout(this.timer);
    this.timer = null;
  }

  private async flush(): Promise<void> {
    if (!this.pending || this.disposed) return;
    this.pending = false;
    this.sending = true;
    this.lastSent = this.clock.now();
    try {
      await this.send();
    } catch (err) {
      this.onError(err);
    } finally {
      this.sending = false;
      // Events that came while the report was on its way are reported one interval after it.
      if (this.pending) this.activity();
    }
  }
}
