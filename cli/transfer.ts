import { Writable } from 'node:stream';
import { formatSize } from './format';

/**
 * A transfer's progress on stderr, at most a few times a second: bytes, rate and, with a known
 * total, the time left (`  web: 412 MiB of 1 GiB · 96.3 MiB/s · 6s left`). On a terminal it redraws
 * one line; elsewhere it writes a line every few seconds.
 */
export class TransferProgress {
  private bytes = 0;
  private readonly started = Date.now();
  private shown = 0;

  constructor(
    private readonly label: string,
    private readonly total: number | null,
    private readonly quiet: boolean,
  ) {}

  /** Counts `n` more bytes. */
  add(n: number): void {
    this.bytes += n;
    const now = Date.now();
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
    const seconds = Math.max((Date.now() - this.started) / 1000, 0.001);
    const rate = this.bytes / seconds;
    const of = this.total ? ` of ${formatSize(this.total)}` : '';
    const left =
      this.total && rate > 0 && !last ? ` · ${Math.max(0, Math.ceil((this.total - this.bytes) / rate))}s left` : '';
    const line = `  ${this.label}: ${formatSize(this.bytes)}${of} · ${formatSize(Math.round(rate))}/s${left}`;
    process.stderr.write(process.stderr.isTTY ? `\r${line}\x1b[K${last ? '\n' : ''}` : `${line}\n`);
  }
}
