import { rawWorkspace, withAgent, type BenchContext, type Row } from '../lib/context';
import { medianRow, pairedTries, rawMedian } from '../lib/paired';
import { phased } from '../lib/phases';
import { rawCreate, rawStart, rawStop } from '../lib/raw';

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
    const paired = await pairedTries(ctx.runs, async () => {
      await agent.request('workspace.stop', { name });
      const berth = await phased(agent.client, name, () => agent.request('workspace.start', { name }));
      await rawStop(ws);
      const raw = await rawStart(ws);
      return { berth, raw };
    });
    console.log(
      `  raw, where the time goes: docker start ${rawMedian(paired.raw, (t) => t.dockerMs)}, ` +
        `then banner ${rawMedian(paired.raw, (t) => t.totalMs - t.dockerMs)} (medians)`,
    );
    return [medianRow('start → SSH-ready (median)', paired)];
  });
}
