import { PerformanceObserver, constants, type PerformanceEntry } from 'node:perf_hooks';
import type { GcPauses } from './agent';

/** Starts noting this process's GC pauses; the returned function stops and returns them. */
export function watchGc(): () => Promise<GcPauses> {
  const gc: GcPauses = { count: 0, major: 0, totalMs: 0, maxMs: 0 };
  const observer = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      const detail = (entry as PerformanceEntry & { detail?: { kind?: number } }).detail;
      gc.count++;
      if (detail?.kind === constants.NODE_PERFORMANCE_GC_MAJOR) gc.major++;
      gc.totalMs += entry.duration;
      gc.maxMs = Math.max(gc.maxMs, entry.duration);
    }
  });
  observer.observe({ entryTypes: ['gc'] });
  return async () => {
    // Entries arrive asynchronously: let the last ones in before disconnecting.
    await new Promise((resolve) => setImmediate(resolve));
    observer.disconnect();
    return gc;
  };
}

/** `N pauses (M major), total X ms, longest Y ms`. */
export function fmtGc(gc: GcPauses): string {
  return `${gc.count} GC pauses (${gc.major} major), ${gc.totalMs.toFixed(1)} ms in all, longest ${gc.maxMs.toFixed(1)} ms`;
}
