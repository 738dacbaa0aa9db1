import { errorMessage } from '../../util/log';

/**
 * Undo actions, run last-registered first and at most once: at the end of the run, after a failure,
 * or on SIGINT/SIGTERM (the signal handler runs them and exits, since a pending `await` never
 * reaches its `finally` when the process is interrupted). A failing action is reported and the rest
 * still run.
 */
export class Cleanup {
  private readonly actions: { what: string; fn: () => Promise<void> | void }[] = [];
  private running: Promise<void> | null = null;

  /** Whether cleaning up has begun: nothing new should start then. */
  get stopping(): boolean {
    return this.running !== null;
  }

  /** Registers an undo action; `what` names it in the report when it fails. */
  defer(what: string, fn: () => Promise<void> | void): void {
    this.actions.push({ what, fn });
    // Registered after cleaning up began (something started meanwhile): undo it too.
    if (this.running) this.running = this.running.then(() => this.drain());
  }

  /** Runs every action registered so far, newest first. Safe to call more than once. */
  run(): Promise<void> {
    this.running ??= this.drain();
    return this.running;
  }

  private async drain(): Promise<void> {
    while (this.actions.length) {
      const action = this.actions.pop()!;
      try {
        await action.fn();
      } catch (err) {
        process.stderr.write(`cleanup: could not ${action.what}: ${errorMessage(err)}\n`);
      }
    }
  }

  /** On the first SIGINT/SIGTERM: clean up, then exit 130; a second signal exits at once. */
  onSignals(): void {
    let interrupted = false;
    const handler = (signal: NodeJS.Signals) => {
      if (interrupted) process.exit(130);
      interrupted = true;
      process.stderr.write(`\n${signal}: cleaning up (send it again to exit without cleaning up)\n`);
      void this.run().finally(() => process.exit(130));
    };
    process.on('SIGINT', handler);
    process.on('SIGTERM', handler);
  }
}
