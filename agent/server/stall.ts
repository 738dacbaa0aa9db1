import { performance } from 'node:perf_hooks';

/** How long a backup or restore may go without a byte moving before it is cancelled, by default. */
export const DEFAULT_TRANSFER_STALL_MS = 10 * 60_000;

/** A watch on a transfer: `progress()` on every byte moved, `stop()` once it ended either way. */
export interface StallWatch {
  progress(): void;
  stop(): void;
}

/**
 * Calls `onStall` once when no `progress()` came for `ms` (a client that stopped reading a backup or
 * sending a restore would otherwise hold the workspace, and its GPUs, for as long as it stays
 * connected). One timer, re-armed only when it fires early, so progress costs a clock read.
 */
export function watchStall(ms: number, onStall: () => void): StallWatch {
  let last = performance.now();
  let timer: NodeJS.Timeout | null = null;
  const arm = (delay: number) => {
    timer = setTimeout(() => {
      const quiet = performance.now() - last;
      if (quiet < ms) return arm(ms - quiet);
      timer = null;
      onStall();
    }, delay);
    timer.unref();
  };
  arm(ms);
  return {
    progress: () => (last = performance.now()),
    stop: () => {
      if (timer) clearTimeout(timer);
      timer = null;
    },
  };
}

/** `ms` in words, for a message ("10 minutes", "3 seconds"). */
export function describeStall(ms: number): string {
  const unit = ms % 60_000 === 0 ? { size: 60_000, name: 'minute' } : { size: 1000, name: 'second' };
  const count = Math.max(1, Math.round(ms / unit.size));
  return `${count} ${unit.name}${count === 1 ? '' : 's'}`;
}
