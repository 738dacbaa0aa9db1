import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { WorkspaceRecord } from '../../agent/state/record';
import { gcBetween, type BenchAgent, type GcPauses } from '../lib/agent';
import { fmtGc, watchGc } from '../lib/gc';
import { generateEd25519KeyPair as hostKey } from '../../util/ed25519';
import { listProfile } from '../lib/list-profile';
import { withAgent, type BenchContext, type Row } from '../lib/context';
import { fmtMs, percentile } from '../lib/stats';
import { WireClient } from '../lib/wire';

const WORKSPACES = 500;
const PORTS = { first: 40000, last: 40999 };
const WARM_UP = 200;
const REQUESTS = 1000;

/**
 * Writes a state file of `count` stopped workspaces owned by `owner`, each record checked against the
 * agent's own schema: distinct 12-hex ids, names, ports within the range and host keys.
 */
async function seedStore(
  stateDir: string,
  owner: string,
  ctx: BenchContext,
  count: number,
): Promise<WorkspaceRecord[]> {
  const now = new Date().toISOString();
  const ids = new Set<string>();
  while (ids.size < count) ids.add(randomBytes(6).toString('hex'));
  const workspaces = [...ids].map((id, i) =>
    WorkspaceRecord.parse({
      id,
      name: `ws-${String(i).padStart(3, '0')}`,
      owner,
      spec: {
        name: `ws-${String(i).padStart(3, '0')}`,
        image: ctx.spec.image,
        cpus: ctx.spec.cpus,
        memory: ctx.spec.memory,
        gpus: 0,
        env: {},
        command: '',
        user: ctx.spec.user,
      },
      state: 'stopped',
      since: now,
      createdAt: now,
      port: PORTS.first + i,
      hostKey: hostKey(`berth-${id}`).publicKey,
    }),
  );
  await fs.mkdir(stateDir, { recursive: true, mode: 0o700 });
  const content = { version: 1, workspaces, keptVolumes: [] };
  await fs.writeFile(path.join(stateDir, 'workspaces.json'), JSON.stringify(content, null, 1), { mode: 0o600 });
  return workspaces;
}

/** One timed loop, with what else happened meanwhile on both sides. */
interface Measured {
  samples: number[];
  /** The agent's GC pauses during the timed calls. */
  agentGc: GcPauses;
  /** This process's (the client's) GC pauses during the timed calls. */
  clientGc: GcPauses;
  /** Times the kernel preempted the agent during the timed calls. */
  preempted: number;
}

/** Times {@link REQUESTS} sequential calls of `once` after {@link WARM_UP} untimed ones. */
async function measure(agent: BenchAgent, once: () => Promise<unknown>): Promise<Measured> {
  for (let i = 0; i < WARM_UP; i++) await once();
  const agentGc0 = await agent.gcPauses();
  const preempted0 = await agent.preemptions();
  const clientGc = watchGc();
  const samples: number[] = [];
  for (let i = 0; i < REQUESTS; i++) {
    const t0 = performance.now();
    await once();
    samples.push(performance.now() - t0);
  }
  return {
    samples,
    clientGc: await clientGc(),
    agentGc: gcBetween(agentGc0, await agent.gcPauses()),
    preempted: (await agent.preemptions()) - preempted0,
  };
}

const report = (m: Measured) =>
  [
    `    p50 ${fmtMs(percentile(m.samples, 50))}, p99 ${fmtMs(percentile(m.samples, 99))}, max ${fmtMs(Math.max(...m.samples))}`,
    `    calls over 10 ms: ${m.samples.filter((ms) => ms > 10).length}; meanwhile the agent was preempted ${m.preempted} times`,
    `    agent:  ${fmtGc(m.agentGc)}`,
    `    client: ${fmtGc(m.clientGc)}`,
  ].join('\n');

/**
 * workspace.list with 500 workspaces: the agent starts on a seeded store (records only, no
 * containers), then one connected client times sequential round trips, noting the GC pauses of both
 * ends and the agent's preemptions meanwhile (the agent runs with the bench's GC probe preloaded).
 */
export async function benchList(ctx: BenchContext): Promise<Row[]> {
  const records = await seedStore(path.join(ctx.root, 'list-agent'), ctx.user, ctx, WORKSPACES);
  console.log(
    `  seeded: ${WORKSPACES} stopped workspace records written to the agent's workspaces.json before it starts ` +
      `(ports ${PORTS.first}-${PORTS.first + WORKSPACES - 1}); they have no containers or volumes`,
  );
  // No user.addKey: the agent would rewrite authorized_keys in each seeded workspace's directory,
  // and seeded records have none (only the store knows them).
  return withAgent(ctx, 'list-agent', PORTS, { addKey: false, v8Probe: true }, async (agent, startMs) => {
    console.log(`  agent start on the seeded store (spawn → /healthz, includes reconciling them): ${fmtMs(startMs)}`);
    const client = agent.client;
    const { workspaces } = await agent.request('workspace.list', {});
    if (workspaces.length !== WORKSPACES) throw new Error(`workspace.list returned ${workspaces.length} workspaces`);

    const viaClient = await agent.within(300_000, `${WARM_UP + REQUESTS} workspace.list calls`, () =>
      measure(agent, () => client.request('workspace.list', {})),
    );
    console.log(`  AgentClient (reply parsed and validated), ${REQUESTS} sequential after ${WARM_UP} warm-up:`);
    console.log(report(viaClient));

    const wire = await agent.within(30_000, 'a bare WebSocket handshake', () =>
      WireClient.connect(agent.url, agent.token),
    );
    let frame: Buffer = Buffer.alloc(0);
    const viaWire = await agent.within(300_000, `${WARM_UP + REQUESTS} bare workspace.list calls`, () =>
      measure(agent, async () => {
        frame = (await wire.roundTrip('workspace.list', {})).frame;
      }),
    );
    wire.close();
    console.log(
      `  bare WebSocket (until the reply frame arrives, not parsed), same count; reply frame ${(frame.length / 1024).toFixed(0)} KiB:`,
    );
    console.log(report(viaWire));
    console.log(`  where a round trip goes:`);
    console.log(listProfile(records, frame.toString('utf8')));

    const p99 = percentile(viaClient.samples, 99);
    return [
      {
        figure: `workspace.list p99 (${WORKSPACES} ws, ${REQUESTS} calls)`,
        berth: fmtMs(p99),
        baseline: '—',
        ratio: '—',
        target: '≤ 10 ms',
        pass: p99 <= 10,
      },
    ];
  });
}
