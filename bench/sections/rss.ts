import { spawn } from 'node:child_process';
import { processMemory, type BenchAgent, type ProcessMemory, type V8Memory } from '../lib/agent';
import { withAgent, type BenchContext, type Row } from '../lib/context';
import { fmtMs } from '../lib/stats';

const WORKSPACES = 50;
const BATCH = 5;
const MEMORY = 256 * 1024 ** 2;
const CPUS = 0.25;
const TARGET_BYTES = 80e6;

const mb = (bytes: number) => `${(bytes / 1e6).toFixed(1)} MB`;
const show = (m: ProcessMemory) =>
  `VmRSS ${mb(m.rss)} (RssAnon ${mb(m.anon)}, RssFile ${mb(m.file)}), VmHWM ${mb(m.hwm)}`;

/** The floor: memory of an idle `node` that has loaded nothing, on this machine. */
async function bareNode(): Promise<ProcessMemory> {
  const child = spawn(process.execPath, ['-e', 'console.log("up"); setInterval(() => {}, 1000)'], {
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  try {
    await new Promise((resolve, reject) => {
      child.stdout.once('data', resolve);
      child.once('error', reject);
    });
    return await processMemory(child.pid!);
  } finally {
    child.kill();
  }
}

/** Reads /proc (the figure), then V8's view with a full GC, then /proc again; prints all three. */
async function measure(agent: BenchAgent, what: string): Promise<ProcessMemory> {
  const memory = await agent.memory();
  const v8: V8Memory = await agent.v8Memory();
  const afterGc = await agent.memory();
  const { before, after, spaces } = v8;
  const top = Object.entries(spaces)
    .filter(([, used]) => used >= 0.1e6)
    .sort(([, a], [, b]) => b - a)
    .map(([space, used]) => `${space} ${mb(used)}`)
    .join(', ');
  console.log(`  agent, ${what}: ${show(memory)}`);
  console.log(
    `    V8: heapUsed ${mb(before.heapUsed)} of heapTotal ${mb(before.heapTotal)}, external ${mb(before.external)} ` +
      `(arrayBuffers ${mb(before.arrayBuffers)})`,
  );
  console.log(
    `    after a full GC: heapUsed ${mb(after.heapUsed)} of heapTotal ${mb(after.heapTotal)}, VmRSS ${mb(afterGc.rss)}`,
  );
  console.log(`    live heap by V8 space: ${top}`);
  return memory;
}

/**
 * Agent memory with 50 running workspaces: a fresh agent's VmRSS (and VmHWM) from /proc/PID/status
 * before any workspace, then after creating 50 real ones, 5 at a time. Each reading is followed by
 * V8's own figures, taken with a full GC through a preloaded probe, to tell live data from garbage.
 */
export async function benchRss(ctx: BenchContext): Promise<Row[]> {
  return withAgent(ctx, 'rss-agent', { first: 42000, last: 42099 }, { v8Probe: true }, async (agent) => {
    await agent.request('workspace.list', {});
    console.log(`  reference, an idle bare node ${process.version}: ${show(await bareNode())}`);
    const idle = await measure(agent, '0 workspaces (client connected, one list served)');

    const t0 = performance.now();
    for (let first = 0; first < WORKSPACES; first += BATCH) {
      const batch = Array.from({ length: Math.min(BATCH, WORKSPACES - first) }, (_, i) => `r${first + i}`);
      await Promise.all(
        batch.map((name) =>
          agent.request('workspace.create', { name, image: ctx.spec.image, cpus: CPUS, memory: MEMORY }),
        ),
      );
    }
    const createMs = performance.now() - t0;
    const { workspaces } = await agent.request('workspace.list', {});
    const running = workspaces.filter((ws) => ws.state === 'running').length;
    if (running !== WORKSPACES) throw new Error(`${running} of ${WORKSPACES} workspaces are running`);
    console.log(
      `  created ${WORKSPACES} workspaces (${CPUS} CPU, ${MEMORY / 1024 ** 2} MiB each) in batches of ${BATCH}: ` +
        `${fmtMs(createMs)} (${fmtMs(createMs / WORKSPACES)} per workspace)`,
    );
    const loaded = await measure(agent, `${WORKSPACES} running (after one more list)`);
    console.log(`  (MB = 10^6 bytes; /proc reports kB = KiB, converted)`);
    return [
      {
        figure: `agent VmRSS, ${WORKSPACES} running (vs 0)`,
        berth: mb(loaded.rss),
        baseline: mb(idle.rss),
        ratio: `${(loaded.rss / idle.rss).toFixed(2)}×`,
        target: '≤ 80 MB',
        pass: loaded.rss <= TARGET_BYTES,
      },
    ];
  });
}
