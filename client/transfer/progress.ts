/**
 * A transfer's progress as the CLI and the extension both show it: bytes, rate and, with a known
 * total, the time left (`412 MiB of 1 GiB · 96.3 MiB/s · 6s left`). Pure: the clock is passed in.
 */

import { formatSize } from '../../util/sizes';

/** Bytes as people read them (`512 MiB`): util/'s, so the agent, the CLI and the extension agree. */
export { formatSize };

/** Where a transfer stands at one moment. */
export interface TransferSnapshot {
  bytes: number;
  /** The expected size; null when not known (a backup's size is known only at its end). */
  total: number | null;
  /** Bytes a second since the start. */
  rate: number;
  /** Whole seconds left at that rate; null without a total or a rate. */
  secondsLeft: number | null;
}

/**
 * Counts a transfer's bytes and says where it stands. The rate is taken from the first byte on, so
 * what comes before it (a workspace stopped for a consistent copy) does not lower it: the bytes
 * after the first chunk over the time since that chunk.
 */
export class TransferMeter {
  /** Bytes counted so far. */
  bytes = 0;
  private first: { at: number; bytes: number } | null = null;

  constructor(readonly total: number | null) {}

  /** Counts `n` more bytes, arrived at `now` (ms, one clock for every call). */
  add(n: number, now: number): void {
    this.first ??= { at: now, bytes: n };
    this.bytes += n;
  }

  /** Where it stands at `now`. */
  snapshot(now: number): TransferSnapshot {
    const seconds = this.first ? (now - this.first.at) / 1000 : 0;
    const rate = seconds > 0 && this.first ? (this.bytes - this.first.bytes) / seconds : 0;
    const secondsLeft =
      this.total !== null && this.total > 0 && rate > 0
        ? Math.max(0, Math.ceil((this.total - this.bytes) / rate))
        : null;
    return { bytes: this.bytes, total: this.total, rate, secondsLeft };
  }
}

/**
 * One line of progress: `412 MiB of 1 GiB · 96.3 MiB/s · 6s left`; `last` leaves out the time left
 * (the transfer is over). Without a total: `412 MiB · 96.3 MiB/s`.
 */
export function transferLine(snapshot: TransferSnapshot, last = false): string {
  const of = snapshot.total ? ` of ${formatSize(snapshot.total)}` : '';
  const left = snapshot.secondsLeft !== null && !last ? ` · ${timeLeft(snapshot.secondsLeft)} left` : '';
  return `${formatSize(snapshot.bytes)}${of} · ${formatSize(Math.round(snapshot.rate))}/s${left}`;
}

/** `45s`, `3m 20s`, `2h 5m`. */
export function timeLeft(seconds: number): string {
  if (seconds < 60) return `${seconds}s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m ${seconds % 60}s`;
  return `${Math.floor(seconds / 3600)}h ${Math.floor((seconds % 3600) / 60)}m`;
}

/**
 * The share of the total that `n` more bytes make, in percent (what VS Code's progress `increment`
 * takes); 0 without a total. Capped so that the sum never passes 100.
 */
export function percentOf(snapshot: Pick<TransferSnapshot, 'bytes' | 'total'>, n: number): number {
  if (!snapshot.total) return 0;
  const before = Math.min(snapshot.bytes - n, snapshot.total);
  const after = Math.min(snapshot.bytes, snapshot.total);
  return Math.max(0, ((after - before) / snapshot.total) * 100);
}
