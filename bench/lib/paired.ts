import { ratio, type Row } from './context';
import { phaseTable, type PhasedTiming } from './phases';
import type { RawTiming } from './raw';
import { fmtMs, fmtSummary, summarize, type Summary } from './stats';

/** The timings of paired tries, Berth against the raw baseline, with their summaries. */
export interface Paired {
  berth: PhasedTiming[];
  raw: RawTiming[];
  b: Summary;
  r: Summary;
}

/**
 * Runs one untimed warm-up pair, then `runs` timed pairs (`pair()` times Berth, then raw, so
 * the two alternate), printing each pair, both medians and where Berth's time went.
 */
export async function pairedTries(
  runs: number,
  pair: () => Promise<{ berth: PhasedTiming; raw: RawTiming }>,
): Promise<Paired> {
  const berth: PhasedTiming[] = [];
  const raw: RawTiming[] = [];
  for (let i = -1; i < runs; i++) {
    const label = i < 0 ? 'warm-up' : `try ${i + 1}/${runs}`;
    const timed = await pair();
    console.log(
      `  ${label.padEnd(9)} berth ${fmtMs(timed.berth.totalMs).padStart(7)}   raw ${fmtMs(timed.raw.totalMs).padStart(7)}`,
    );
    if (i < 0) continue;
    berth.push(timed.berth);
    raw.push(timed.raw);
  }
  const b = summarize(berth.map((t) => t.totalMs));
  const r = summarize(raw.map((t) => t.totalMs));
  console.log(`  Berth  median (min – max): ${fmtSummary(b)}`);
  console.log(`  raw    median (min – max): ${fmtSummary(r)}`);
  console.log(`  Berth, where the time goes (client-side arrival of workspace.progress events):`);
  console.log(phaseTable(berth));
  return { berth, raw, b, r };
}

/** The median of a raw timing's field, formatted. */
export function rawMedian(raw: readonly RawTiming[], field: (t: RawTiming) => number): string {
  return fmtMs(summarize(raw.map(field)).median);
}

/** The report row of a paired figure whose goal is Berth's median within 1.2× of raw's. */
export function medianRow(figure: string, { b, r }: Paired): Row {
  return {
    figure,
    berth: fmtMs(b.median),
    baseline: fmtMs(r.median),
    ratio: ratio(b.median, r.median),
    target: '≤ 1.20×',
    pass: b.median / r.median <= 1.2,
  };
}
