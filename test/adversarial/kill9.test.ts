import * as assert from 'node:assert/strict';
import type { AgentClient } from '../../client/agent-client';
import type { MethodName, Workspace } from '../../protocol';
import { AgentProcess, sshPortRange } from '../support/agent-process';
import { requireDocker } from '../support/docker';
import { fakeGpuEnv } from '../support/fake-gpus';
import { RecordingDockerProxy } from '../support/recording-proxy';
import { checkInvariants, type HomeFiles } from './invariants';
import { SMALL, destroyAgent, dockerMaybe, mint, printFigures, runSeed, seededRandom, writeMarker } from './support';

type Op = 'create' | 'start' | 'stop' | 'delete' | 'update';

/** The progress phases each operation reports, in order: the points it may be killed at. */
const PHASES: Record<Op, string[]> = {
  create: ['allocating', 'creating-volume', 'creating-container', 'starting-container', 'waiting-for-ssh', 'done'],
  start: ['creating-container', 'starting-container', 'waiting-for-ssh', 'done'],
  stop: ['stopping', 'done'],
  delete: ['removing-container', 'removing-volume', 'done'],
  update: ['creating-container', 'starting-container', 'waiting-for-ssh', 'done'],
};

/** The most workspaces the pool grows to (four fake GPUs, two cores). */
const POOL_MAX = 5;

describe('adversarial: kill -9 at random points of create, start, stop, delete and update', function () {
  this.timeout(300_000);
  const seed = runSeed();
  const random = seededRandom(seed);
  const rounds = Number(process.env.BERTH_ADVERSARIAL_ROUNDS) || 20;
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  let proxy: RecordingDockerProxy;
  let agent: AgentProcess;
  let token: string;
  let admin: AgentClient;
  let pool: Workspace[] = [];
  let serial = 0;
  const seen = new Set<string>();
  const home: HomeFiles = { markers: new Map(), deletedWithData: new Set() };
  const tally = { killed: 0, restarts: [] as number[], answeredBeforeKill: 0 };

  /** Leaves a file in the home of every workspace whose volume exists and has none yet. */
  async function markHomes(workspaces: Workspace[]): Promise<void> {
    for (const ws of workspaces) {
      seen.add(ws.id);
      const volume = `berth-${ws.id}-home`;
      if (home.markers.has(volume) || (await dockerMaybe('volume', 'inspect', volume)) === null) continue;
      const content = `seed${seed}ws${ws.id}`;
      await writeMarker(volume, content);
      home.markers.set(volume, content);
    }
  }

  before(async () => {
    requireDocker();
    console.log(`      kill -9 seed: ${seed} (replay: BERTH_ADVERSARIAL_SEED=${seed} npm run test:adversarial)`);
    proxy = await RecordingDockerProxy.start();
    agent = await AgentProcess.start({
      args: ['--docker-socket', proxy.socketPath],
      env: fakeGpuEnv('plain'),
      ports: sshPortRange(30),
    });
    token = mint(agent, 'root', true).token;
    admin = await agent.connect(token);
    await Promise.all(
      [1, 0, 1].map((gpus) => admin.request('workspace.create', { name: `k9-${serial++}`, ...SMALL, gpus })),
    );
    pool = (await admin.request('workspace.list', {})).workspaces;
    await markHomes(pool);
  });

  after(async () => {
    admin?.close();
    const restarts = tally.restarts.sort((a, b) => a - b);
    printFigures(`kill -9 (seed ${seed})`, [
      ['rounds', rounds],
      ['agents killed', tally.killed],
      ['operations answered before the kill', tally.answeredBeforeKill],
      ['restart to /healthz, median', `${restarts[Math.floor(restarts.length / 2)] ?? NaN} ms`],
      ['restart to /healthz, max', `${restarts.at(-1) ?? NaN} ms`],
      ['home files checked', home.markers.size],
    ]);
    await destroyAgent(agent, seen);
    await proxy?.close();
  });

  /** An operation the pool allows, its target and params, chosen by the seeded generator. */
  function plan(): { op: Op; name: string; method: MethodName; params: Record<string, unknown> } {
    const running = pool.filter((ws) => ws.state === 'running');
    const resting = pool.filter((ws) => ws.state === 'stopped' || ws.state === 'failed');
    const ops: Op[] = [];
    if (pool.length < POOL_MAX) ops.push('create');
    if (resting.length) ops.push('start');
    if (running.length) ops.push('stop', 'update');
    if (pool.length > 1) ops.push('delete');
    const op = pick(ops);
    switch (op) {
      case 'create': {
        const name = `k9-${serial++}`;
        return { op, name, method: 'workspace.create', params: { name, ...SMALL, gpus: pick([0, 1]) } };
      }
      case 'start': {
        const { name } = pick(resting);
        return { op, name, method: 'workspace.start', params: { name } };
      }
      case 'stop': {
        const { name } = pick(running);
        return { op, name, method: 'workspace.stop', params: { name } };
      }
      case 'delete': {
        const { name } = pick(pool);
        return { op, name, method: 'workspace.delete', params: { name, deleteData: pick([true, false]) } };
      }
      case 'update': {
        const { name, spec } = pick(running);
        const changes = pick([
          { cpus: spec.cpus === SMALL.cpus ? 0.5 : SMALL.cpus },
          { memory: spec.memory === SMALL.memory ? 2 * SMALL.memory : SMALL.memory },
          { gpus: spec.gpus ? 0 : 1 },
        ]);
        return { op, name, method: 'workspace.update', params: { name, changes } };
      }
    }
  }

  for (let round = 1; round <= rounds; round++) {
    it(`round ${round}: an operation killed at a random point leaves every invariant intact after restart`, async () => {
      if (!agent.alive) await agent.restart();
      const { op, name, method, params } = plan();
      const point = pick(['at once', ...PHASES[op]]);
      // A random moment past the point (not a wait for anything): kills land between phases too.
      const jitterMs = Math.floor(random() * 120);
      console.log(`      ${op} ${name} ${JSON.stringify(params)}, killed ${point} + ${jitterMs} ms`);
      if (op === 'delete' && params.deleteData === true) {
        const ws = pool.find((w) => w.name === name);
        if (ws) home.deletedWithData.add(`berth-${ws.id}-home`);
      }

      const client = await agent.connect(token);
      const reached = new Promise<void>((resolve) =>
        client.onEvent((event) => {
          if (event.event === 'workspace.progress' && event.data.name === name && event.data.phase === point) resolve();
        }),
      );
      let answered = false;
      const request = client.request(method, params as never).then(
        () => (answered = true),
        () => undefined,
      );
      if (point !== 'at once') await Promise.race([reached, request]);
      if (jitterMs) await new Promise((resolve) => setTimeout(resolve, jitterMs));
      if (answered) tally.answeredBeforeKill++;
      await agent.kill9();
      tally.killed++;
      await request;
      client.close();

      const restarting = Date.now();
      await agent.restart();
      tally.restarts.push(Date.now() - restarting);
      admin.close();
      admin = await agent.connect(token);
      pool = await checkInvariants(agent, admin, home);
      await markHomes(pool);
      assert.ok(agent.alive);
    });
  }
});
