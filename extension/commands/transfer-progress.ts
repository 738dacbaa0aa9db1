import { Writable } from 'node:stream';
import * as vscode from 'vscode';
import { TransferMeter, percentOf, transferLine } from '../../client/transfer/progress';
import type { EventData } from '../../protocol';
import type { Services } from '../services';
import { forVsCode } from '../wording/errors';

/** How often the notification's line of bytes is redrawn at most. */
const REDRAW_MS = 250;

/** What a step under {@link withTransferProgress} is given. */
export interface TransferSteps {
  /** Aborted when the user cancels: the request's cancel goes over the wire. */
  signal: AbortSignal;
  /** The agent's phases ("Stopping it for a consistent copy"), shown until bytes flow. */
  onProgress: (event: EventData<'workspace.progress'>) => void;
  /** Counts bytes moved; the notification shows them with the rate and time left. */
  onBytes: (n: number) => void;
  /** A line of its own ("web: stopping it on lab for the move"), shown as the message. */
  say: (line: string) => void;
  /** The agents' own output, into the log. */
  output: Writable;
  /** The bytes counted so far. */
  bytes(): number;
}

/**
 * Runs a transfer (a backup, a restore, a move) under one cancellable notification titled `title`:
 * the agent's phases as its message, then `12 MiB of 40 MiB · 8 MiB/s · 4s left` (client/transfer's
 * arithmetic, as the CLI shows it) with the bar filling when `total` is known. Cancel aborts the
 * signal; the step's request sends the cancel frame.
 */
export function withTransferProgress<T>(
  services: Services,
  title: string,
  total: number | null,
  run: (steps: TransferSteps) => Promise<T>,
): Thenable<T> {
  return vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title, cancellable: true },
    async (progress, token) => {
      const abort = new AbortController();
      const cancel = token.onCancellationRequested(() => abort.abort());
      const meter = new TransferMeter(total);
      let shown = 0;
      let pending = 0;
      const say = (message: string) => progress.report({ message: forVsCode(message) });
      const output = new Writable({
        write(chunk: Buffer, _encoding, callback) {
          services.log.info(`${title}: ${chunk.toString('utf8').trimEnd()}`);
          callback();
        },
      });
      try {
        return await run({
          signal: abort.signal,
          say,
          output,
          bytes: () => meter.bytes,
          onProgress: (event) => {
            if (event.phase !== 'done') say(event.message);
          },
          onBytes: (n) => {
            const now = Date.now();
            meter.add(n, now);
            pending += n;
            if (now - shown < REDRAW_MS) return;
            const snapshot = meter.snapshot(now);
            progress.report({ message: transferLine(snapshot), increment: percentOf(snapshot, pending) });
            shown = now;
            pending = 0;
          },
        });
      } finally {
        cancel.dispose();
      }
    },
  );
}
