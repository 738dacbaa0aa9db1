import { rawWorkspace, ratio, withAgent, type BenchContext, type Row } from '../lib/context';
import { phased, phaseTable, type PhasedTiming } from '../lib/phases';
import { rawCreate, rawRemove, type RawTiming } from '../lib/raw';
import { fmtMs, fmtSummary, summarize } from '../lib/stats';

/**
 * create → SSH-ready: `workspace.create` until its reply (the agent answers once sshd does) against
 * bootstrap files + `docker run -d` until the banner. Tries alternate Berth, raw, Berth, raw…; each
 * workspace is removed (untimed) before the next try, and one untimed pair warms caches first.
 */
export async function benchCreate(ctx: BenchContext): Promise<Row[]> {
  return withAgent(ctx, 'create-agent', { first: 41000, last: 41019 }, {}, async (agent) => {
    const { image, cpus, memory } = ctx.spec;
    const berth: PhasedTiming[] = [];
    const raw: RawTiming[] = [];
    for (let i = -1; i < ctx.runs; i++) {
      const name = i < 0 ? 'warm-up' : `c${i}`;
      const create = () => agent.request('workspace.create', { name, image, cpus, memory });
      const b = await phased(agent.client, name, create);
      await agent.request('workspace.delete', { name, deleteData: true });
      const ws = await rawWorkspace(ctx, name);
      const r = await rawCreate(ws, ctx.spec, ctx.init, [ctx.userKey]);
      await rawRemove(ws);
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
      `  raw, where the time goes: bootstrap files ${fmtMs(summarize(raw.map((t) => t.prepMs)).median)}, ` +
        `docker run -d ${fmtMs(summarize(raw.map((t) => t.dockerMs)).median)}, ` +
        `then banner ${fmtMs(summarize(raw.map((t) => t.totalMs - t.dockerMs - t.prepMs)).median)} (medians)`,
    );
    const row: Row = {
      figure: 'create → SSH-ready (median)',
      berth: fmtMs(b.median),
      baseline: fmtMs(r.median),
      ratio: ratio(b.median, r.median),
      target: '≤ 1.20×',
      pass: b.median / r.median <= 1.2,
    };
    return [row];
  });
}
