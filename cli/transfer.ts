import { Writable } from 'node:stream';
import { TransferMeter, transferLine } from '../client/transfer/progress';

/**
 * A transfer's progress on stderr, at most a few times a second: bytes, rate and, with a known
 * total, the time left (`  web: 412 MiB of 1 GiB · 96.3 MiB/s · 6s left`; the arithmetic is
 * client/transfer/progress.ts, which the extension shows too). On a terminal it redraws one line;
 * elsewhere it writes a line every few seconds.
 */
export class TransferProgress {
  private readonly meter: TransferMeter;
  private shown = 0;

  constructor(
    private readonly label: string,
    total: number | null,
    private readonly quiet: boolean,
  ) {
    this.meter = new TransferMeter(total);
  }

  /** Counts `n` more bytes. */
  add(n: number): void {
    const now = Date.now();
    this.meter.add(n, now);
    if (now - this.shown >= (process.stderr.isTTY ? 250 : 5000)) {
      this.shown = now;
      this.show(false);
    }
  }

  /** Writes the last line. */
  done(): void {
    this.show(true);
  }

  /** A stream that counts what it writes on to `target` (keeping its back-pressure). */
  into(target: Writable): Writable {
    return new Writable({
      write: (chunk: Buffer, _encoding, callback) => {
        this.add(chunk.length);
        if (target.write(chunk)) callback();
        else target.once('drain', () => callback());
      },
    });
  }

  private show(last: boolean): void {
    if (this.quiet) return;
    const line = `  ${this.label}: ${transferLine(this.meter.snapshot(Date.now()), last)}`;
    process.stderr.write(process.stderr.isTTY ? `\r${line}\x1b[K${last ? '\n' : ''}` : `${line}\n`);
  }
}
