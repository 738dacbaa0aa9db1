import { rawWorkspace, withAgent, type BenchContext, type Row } from '../lib/context';
import { medianRow, pairedTries, rawMedian } from '../lib/paired';
import { phased } from '../lib/phases';
import { rawCreate, rawRemove } from '../lib/raw';

/**
 * create → SSH-ready: `workspace.create` until its reply (the agent answers once sshd does) against
 * bootstrap files + `docker run -d` until the banner. Tries alternate Berth, raw, Berth, raw…; each
 * workspace is removed (untimed) before the next try, and one untimed pair warms caches first.
 */
export async function benchCreate(ctx: BenchContext): Promise<Row[]> {
  return withAgent(ctx, 'create-agent', { first: 41000, last: 41019 }, {}, async (agent) => {
    const { image, cpus, memory } = ctx.spec;
    let tries = 0;
    const paired = await pairedTries(ctx.runs, async () => {
      const name = `c${tries++}`;
      const create = () => agent.request('workspace.create', { name, image, cpus, memory });
      const berth = await phased(agent.client, name, create);
      await agent.request('workspace.delete', { name, deleteData: true });
      const ws = await rawWorkspace(ctx, name);
      const raw = await rawCreate(ws, ctx.spec, ctx.init, [ctx.userKey]);
      await rawRemove(ws);
      return { berth, raw };
    });
    console.log(
      `  raw, where the time goes: bootstrap files ${rawMedian(paired.raw, (t) => t.prepMs)}, ` +
        `docker run -d ${rawMedian(paired.raw, (t) => t.dockerMs)}, ` +
        `then banner ${rawMedian(paired.raw, (t) => t.totalMs - t.dockerMs - t.prepMs)} (medians)`,
    );
    return [medianRow('create → SSH-ready (median)', paired)];
  });
}
