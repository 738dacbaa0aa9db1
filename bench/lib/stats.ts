/** Median, min and max of a set of tries. */
export interface Summary {
  median: number;
  min: number;
  max: number;
  n: number;
}

/** Summarizes samples; the median of an even count is the mean of the two middle values. */
export function summarize(samples: readonly number[]): Summary {
  if (samples.length === 0) throw new Error('no samples to summarize');
  const sorted = [...samples].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  const median = sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
  return { median, min: sorted[0]!, max: sorted[sorted.length - 1]!, n: sorted.length };
}

/** The nearest-rank percentile `p` (0–100) of samples: p99 of 1000 samples is the 990th smallest. */
export function percentile(samples: readonly number[], p: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[Math.min(rank, sorted.length) - 1]!;
}

/** Milliseconds, with decimals only where they carry information. */
export function fmtMs(value: number): string {
  if (value < 0.01) return '<0.01 ms';
  return value < 10 ? `${value.toFixed(2)} ms` : `${value.toFixed(0)} ms`;
}

/** `median (min–max)` of a summary in milliseconds. */
export function fmtSummary(s: Summary): string {
  return `${fmtMs(s.median)} (${fmtMs(s.min)} – ${fmtMs(s.max)})`;
}

/** Right-pads cells so that rows line up as columns. */
export function table(rows: readonly (readonly string[])[]): string {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)));
  return rows.map((row) => row.map((cell, i) => cell.padEnd(widths[i] ?? 0)).join('  ')).join('\n');
}
