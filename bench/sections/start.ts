import { rawWorkspace, ratio, withAgent, type BenchContext, type Row } from '../lib/context';
import { phased, phaseTable, type PhasedTiming } from '../lib/phases';
import { rawCreate, rawStart, rawStop, type RawTiming } from '../lib/raw';
import { fmtMs, fmtSummary, summarize } from '../lib/stats';

/**
 * start → SSH-ready: `workspace.start` of a stopped workspace until its reply, against `docker start`
 * of a stopped raw container until the banner. Both are made once (untimed); each try stops its
 * side first (untimed: `workspace.stop` / `docker stop`), alternating Berth, raw, Berth, raw…
 */
export async function benchStart(ctx: BenchContext): Promise<Row[]> {
  return withAgent(ctx, 'start-agent', { first: 41100, last: 41119 }, {}, async (agent) => {
    const { image, cpus, memory } = ctx.spec;
    const name = 's0';
    await agent.request('workspace.create', { name, image, cpus, memory });
    const ws = await rawWorkspace(ctx, name);
    await rawCreate(ws, ctx.spec, ctx.init, [ctx.userKey]);
    const berth: PhasedTiming[] = [];
    const raw: RawTiming[] = [];
    for (let i = -1; i < ctx.runs; i++) {
      await agent.request('workspace.stop', { name });
      const b = await phased(agent.client, name, () => agent.request('workspace.start', { name }));
      await rawStop(ws);
      const r = await rawStart(ws);
      const label = i < 0 ? 'warm-up' : `try ${i + 1}/${ctx.runs}`;
      console.log(`  ${label.padEnd(9)} berth ${fmtMs(b.totalMs).padStart(7)}   raw ${fmtMs(r.totalMs).padStart(7)}`);
      if (i < 0) continue;
      berth.push(b);
      raw.push(r);
    }
    const b = summarize(berth.map((t) => t.totalMs));
    const r = summarize(raw.map((t) => t.totalMs));
    console.log(`  Berth  median (min – max): ${fmtSummary(b)}`);
    console.log(`  raw    median (min – max): ${fmtSummary(r)}`);
    console.log(`  Berth, where the time goes (client-side arrival of workspace.progress events):`);
    console.log(phaseTable(berth));
    console.log(
      `  raw, where the time goes: docker start ${fmtMs(summarize(raw.map((t) => t.dockerMs)).median)}, ` +
        `then banner ${fmtMs(summarize(raw.map((t) => t.totalMs - t.dockerMs)).median)} (medians)`,
    );
    return [
      {
        figure: 'start → SSH-ready (median)',
        berth: fmtMs(b.median),
        baseline: fmtMs(r.median),
        ratio: ratio(b.median, r.median),
        target: '≤ 1.20×',
        pass: b.median / r.median <= 1.2,
      },
    ];
  });
}
