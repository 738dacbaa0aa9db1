import * as assert from 'node:assert/strict';
import type { AgentClient, ClientEvent } from '../../client/agent-client';
import type { BerthError, EventData } from '../../protocol';
import { sshPortRange } from '../support/agent-process';
import { cliEnv, startBerth } from '../support/cli';
import { docker } from '../support/docker';
import { fakeGpuEnv } from '../support/fake-gpus';
import { RecordingDockerProxy } from '../support/recording-proxy';
import { useAgent } from '../support/use-agent';
import { waitFor } from '../support/wait';
import { refusal } from '../support/refusal';

// The inventories of test/support/gpu-fixtures/{plain,mig}.json.
const H100_0 = 'GPU-0b1f2a3c-4d5e-6f70-8192-a3b4c5d6e7f8';
const H100_1 = 'GPU-1c2d3e4f-5a6b-7c8d-9eaf-b0c1d2e3f4a5';
const A100 = 'GPU-2d3e4f5a-6b7c-8d9e-afb0-c1d2e3f4a5b6';
const T4 = 'GPU-3e4f5a6b-7c8d-9eaf-b0c1-d2e3f4a5b6c7';
const MIG_PARENT = 'GPU-5d5b3c2e-8f1a-4b6c-9d7e-0a1b2c3d4e5f';
const MIG_SLICES = [
  'MIG-e07a497d-1bb6-5a42-b670-1c33bf55ab6e',
  'MIG-8b4a3c6d-2ee1-5f07-a1c3-44d2e9f0b1a7',
  'MIG-2f9c1e5a-7d3b-5c48-9e61-b0a4d8c2f3e9',
];
const MIG_WHOLE = 'GPU-6e7f8a9b-0c1d-4e2f-a3b4-c5d6e7f8a9b0';

const SMALL = { memory: 256 * 1024 ** 2, cpus: 0.5 };

interface DockerInspect {
  Config: { Env: string[] };
}
const containerEnv = (id: string): string[] =>
  (JSON.parse(docker('inspect', `berth-${id}`)) as DockerInspect[])[0]?.Config.Env ?? [];

/**
 * Runs the berth CLI without blocking this process: the recording proxy lives here, so a synchronous
 * spawn would stall the agent's Docker calls and deadlock.
 */
async function berth(
  args: string[],
  env: NodeJS.ProcessEnv,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const run = startBerth(args, env);
  const { code } = await run.exited;
  return { code, stdout: run.stdout(), stderr: run.stderr() };
}

describe('agent: GPU inventory, exclusive allocation by UUID, quota and queue (fake nvidia-smi, recording proxy)', function () {
  this.timeout(240_000);
  let proxy: RecordingDockerProxy;
  let alice: AgentClient;
  let bob: AgentClient;
  let adminToken: string;

  before(async () => {
    proxy = await RecordingDockerProxy.start();
    proxy.defaultRuntime = 'nvidia';
  });
  const agent = useAgent(() => ({
    args: ['--docker-socket', proxy.socketPath],
    env: fakeGpuEnv('plain'),
    // 50 concurrent creates each take an SSH port before they ask for a GPU.
    ports: sshPortRange(60),
  }));
  before(async () => {
    alice = await agent.connect(agent.token('alice'));
    bob = await agent.connect(agent.token('bob'));
    adminToken = agent.token('root-admin', true);
  });
  after(async () => {
    await proxy?.close();
  });

  it("warns at start that Docker's default runtime is nvidia", async () => {
    await waitFor('the default-runtime warning', () => /default runtime is nvidia/.test(agent.log));
  });

  it('lists the inventory from nvidia-smi in host.info and berth gpus, [N/A] values as null', async () => {
    const info = await alice.request('host.info', {});
    assert.equal(info.gpuNote, undefined);
    assert.equal(info.gpuSharing, 1);
    assert.deepEqual(
      info.gpus.map((gpu) => [gpu.index, gpu.uuid, gpu.name, gpu.free]),
      [
        ['0', H100_0, 'NVIDIA H100 80GB HBM3', 1],
        ['1', H100_1, 'NVIDIA H100 80GB HBM3', 1],
        ['2', A100, 'NVIDIA A100-PCIE-40GB', 1],
        ['3', T4, 'Tesla T4', 1],
      ],
    );
    assert.equal(info.gpus[0]?.memory, 81559 * 1024 ** 2);
    assert.equal(info.gpus[0]?.utilization, 17);
    assert.equal(info.gpus[3]?.utilization, null);
    assert.equal(info.gpus[3]?.memoryUsed, null);
    const cli = await berth(['gpus'], cliEnv(agent.url, adminToken));
    assert.equal(cli.code, 0, cli.stderr);
    assert.match(cli.stdout, /^INDEX\s+UUID\s+NAME\s+MEMORY\s+UTIL\s+FREE\s+HELD BY/);
    assert.match(cli.stdout, new RegExp(`0\\s+${H100_0}\\s+NVIDIA H100 80GB HBM3\\s+79\\.6 GiB\\s+17%\\s+1/1\\s+-`));
  });

  it('gives a workspace without GPUs no device request and NVIDIA_VISIBLE_DEVICES=void', async () => {
    const { workspace } = await alice.request('workspace.create', { name: 'plain', ...SMALL });
    const create = proxy.createOf(workspace.id);
    assert.ok(create, 'the create request was recorded');
    assert.equal(create.body.HostConfig?.DeviceRequests, undefined);
    assert.equal(workspace.gpus, undefined);
    const env = containerEnv(workspace.id);
    assert.ok(env.includes('NVIDIA_VISIBLE_DEVICES=void'), env.join(' '));
    const widened = await refusal(
      alice.request('workspace.create', { name: 'leak', env: { NVIDIA_VISIBLE_DEVICES: 'all' }, ...SMALL }),
    );
    assert.equal(widened.code, 'invalid_params');
    assert.match(widened.message, /NVIDIA_VISIBLE_DEVICES is set by Berth/);
  });

  it('assigns two H100s exclusively by UUID: DeviceIDs, driver nvidia, capability gpu, never Count', async () => {
    const cli = await berth(
      ['create', 'train', '--gpus', '2', '--gpu-model', 'h100', '--cpus', '0.5', '--memory', '256m', '--json'],
      cliEnv(agent.url, agent.token('alice')),
    );
    assert.equal(cli.code, 0, cli.stderr);
    const workspace = JSON.parse(cli.stdout) as EventData<'workspace.changed'>['workspace'];
    assert.deepEqual(workspace.gpus, [
      { uuid: H100_0, index: '0', name: 'NVIDIA H100 80GB HBM3' },
      { uuid: H100_1, index: '1', name: 'NVIDIA H100 80GB HBM3' },
    ]);
    const requests = proxy.createOf(workspace.id)?.body.HostConfig?.DeviceRequests;
    assert.deepEqual(requests, [{ Driver: 'nvidia', DeviceIDs: [H100_0, H100_1], Capabilities: [['gpu']] }]);
    assert.ok(!('Count' in (requests?.[0] ?? {})), 'no Count in the device request');
    const env = containerEnv(workspace.id);
    assert.ok(!env.includes('NVIDIA_VISIBLE_DEVICES=void'), 'a GPU workspace is not voided');
    assert.ok(env.includes(`NVIDIA_VISIBLE_DEVICES=${H100_0},${H100_1}`), env.join(' '));
  });

  it("shows holders: names of the caller's own workspaces, anonymous entries for others'", async () => {
    const mine = await alice.request('host.info', {});
    assert.deepEqual(mine.gpus[0]?.holders, [{ owner: 'alice', workspace: 'train' }]);
    assert.equal(mine.gpus[0]?.free, 0);
    const theirs = await bob.request('host.info', {});
    assert.deepEqual(theirs.gpus[1]?.holders, [{ owner: null, workspace: null }]);
    const cli = await berth(['gpus'], cliEnv(agent.url, agent.token('bob')));
    assert.match(cli.stdout, new RegExp(`${H100_1}.*0/1\\s+1 other`));
  });

  it('filters by memory: 30 GiB or more leaves the A100 once the H100s are held', async () => {
    const { workspace } = await bob.request('workspace.create', {
      name: 'infer',
      gpus: 1,
      gpuMemory: 30 * 1024 ** 3,
      ...SMALL,
    });
    assert.deepEqual(
      workspace.gpus?.map((gpu) => gpu.uuid),
      [A100],
    );
    assert.deepEqual(proxy.createOf(workspace.id)?.body.HostConfig?.DeviceRequests?.[0]?.DeviceIDs, [A100]);
  });

  it('refuses with no_capacity naming the holders when none are free', async () => {
    const others = await refusal(
      bob.request('workspace.create', { name: 'more', gpus: 1, gpuModel: 'H100', ...SMALL }),
    );
    assert.equal(others.code, 'no_capacity');
    assert.match(others.message, /no 1 GPU matching "H100" free \(0 of 2 free; held by 1 workspace of other users\)/);
    const own = await refusal(alice.request('workspace.create', { name: 'more', gpus: 1, gpuModel: 'H100', ...SMALL }));
    assert.match(own.message, /held by your workspace train/);
    const never = await refusal(alice.request('workspace.create', { name: 'more', gpus: 5, ...SMALL }));
    assert.match(never.message, /this host has 4 GPUs; ask for at most 4/);
    const list = await alice.request('workspace.list', {});
    assert.ok(!list.workspaces.some((ws) => ws.name === 'more'), 'a refused create leaves nothing behind');
  });

  it('lets only an admin pin UUIDs and set quotas, and enforces the quota', async () => {
    const pinned = await refusal(alice.request('workspace.create', { name: 'pin', gpuUuids: [T4], ...SMALL }));
    assert.equal(pinned.code, 'forbidden');
    const repinned = await refusal(
      alice.request('workspace.update', { name: 'train', changes: { gpus: 1, gpuUuids: [T4] } }),
    );
    assert.equal(repinned.code, 'forbidden');
    assert.match(repinned.message, /only an admin may pin GPUs by UUID/);
    const notAdmin = await refusal(alice.request('user.setQuota', { user: 'bob', gpus: 1 }));
    assert.equal(notAdmin.code, 'forbidden');
    const set = await berth(['quota', 'bob', '1'], cliEnv(agent.url, adminToken));
    assert.equal(set.code, 0, set.stderr);
    assert.equal(set.stdout, 'bob: at most 1 GPU\n');
    const over = await refusal(bob.request('workspace.create', { name: 'second', gpus: 1, ...SMALL }));
    assert.equal(over.code, 'forbidden');
    assert.match(over.message, /GPU quota of bob is 1: 1 held \(in infer\), 1 more asked for/);
    await berth(['quota', 'bob', 'default'], cliEnv(agent.url, adminToken));
    const admin = await agent.connect(adminToken);
    try {
      const { workspace } = await admin.request('workspace.create', { name: 'pinned', gpuUuids: [T4], ...SMALL });
      assert.deepEqual(proxy.createOf(workspace.id)?.body.HostConfig?.DeviceRequests?.[0]?.DeviceIDs, [T4]);
      const unpin = await berth(['update', 'pinned', '--clear', 'gpu-uuid', '--json'], cliEnv(agent.url, adminToken));
      assert.equal(unpin.code, 0, unpin.stderr);
      const unpinned = (await admin.request('workspace.get', { name: 'pinned' })).workspace;
      assert.equal(unpinned.spec.gpuUuids, undefined, 'the pin is gone');
      assert.equal(unpinned.spec.gpus, 1, 'the count stays');
      await admin.request('workspace.delete', { name: 'pinned', deleteData: true });
    } finally {
      admin.close();
    }
  });

  it('queues a start with waitForGpus, reports its place, and serves it when a stop releases GPUs', async () => {
    const events: EventData<'workspace.progress'>[] = [];
    const off = bob.onEvent((event: ClientEvent) => {
      if (event.event === 'workspace.progress') events.push(event.data);
    });
    const waiting = bob.request('workspace.create', {
      name: 'queued',
      gpus: 1,
      gpuModel: 'H100',
      waitForGpus: 120,
      ...SMALL,
    });
    await waitFor('bob to be first in the GPU queue', () =>
      events.some((event) => event.phase === 'waiting-for-gpus' && event.queuePosition === 1),
    );
    const stopped = await alice.request('workspace.stop', { name: 'train' });
    assert.equal(stopped.workspace.gpus, undefined, 'a stopped workspace holds no GPUs');
    const { workspace } = await waiting;
    off();
    assert.equal(workspace.state, 'running');
    assert.deepEqual(
      workspace.gpus?.map((gpu) => gpu.uuid),
      [H100_0],
    );
    assert.deepEqual(proxy.createOf(workspace.id)?.body.HostConfig?.DeviceRequests?.[0]?.DeviceIDs, [H100_0]);
  });

  it('times out of the queue with no_capacity, and a refused start leaves the workspace stopped', async () => {
    // alice's train needs two H100s; bob holds one now.
    const queued: EventData<'workspace.progress'>[] = [];
    const off = alice.onEvent((event: ClientEvent) => {
      if (event.event === 'workspace.progress' && event.data.name === 'train') queued.push(event.data);
    });
    const timedOut = await refusal(alice.request('workspace.start', { name: 'train', waitForGpus: 1 }));
    off();
    assert.ok(
      queued.some((event) => event.phase === 'waiting-for-gpus'),
      'it waited in the queue before it was refused',
    );
    assert.equal(timedOut.code, 'no_capacity');
    assert.match(timedOut.message, /waited 1 s for GPUs in vain/);
    const { workspace } = await alice.request('workspace.get', { name: 'train' });
    assert.equal(workspace.state, 'stopped');
  });

  it('leaves the queue when the start is cancelled, the workspace stopped', async () => {
    const events: EventData<'workspace.progress'>[] = [];
    const off = alice.onEvent((event: ClientEvent) => {
      if (event.event === 'workspace.progress') events.push(event.data);
    });
    const abort = new AbortController();
    const start = refusal(
      alice.request('workspace.start', { name: 'train', waitForGpus: 120 }, { signal: abort.signal }),
    );
    await waitFor('train to wait for GPUs', () => events.some((event) => event.phase === 'waiting-for-gpus'));
    abort.abort();
    const cancelled = await start;
    off();
    assert.equal(cancelled.code, 'cancelled');
    const { workspace } = await alice.request('workspace.get', { name: 'train' });
    assert.equal(workspace.state, 'stopped');
    assert.equal(workspace.gpus, undefined);
  });

  it('keeps holdings across an agent restart and releases those whose container stopped meanwhile', async () => {
    const before = await bob.request('workspace.list', {});
    const infer = before.workspaces.find((ws) => ws.name === 'infer')!;
    const queued = before.workspaces.find((ws) => ws.name === 'queued')!;
    bob.close();
    alice.close();
    await agent.kill9();
    docker('stop', '-t', '0', `berth-${infer.id}`);
    await agent.restart();
    bob = await agent.connect(agent.token('bob'));
    alice = await agent.connect(agent.token('alice'));
    const info = await bob.request('host.info', {});
    const holder = (uuid: string) => info.gpus.find((gpu) => gpu.uuid === uuid)?.holders;
    assert.deepEqual(holder(H100_0), [{ owner: 'bob', workspace: 'queued' }], 'the running workspace keeps its GPU');
    assert.deepEqual(holder(A100), [], 'the stopped one gave its GPU back');
    const after = await bob.request('workspace.get', { name: 'queued' });
    assert.deepEqual(
      after.workspace.gpus?.map((gpu) => gpu.uuid),
      [H100_0],
    );
    assert.equal(after.workspace.id, queued.id);
    // The held GPU is still exclusive after the restart.
    const taken = await refusal(
      alice.request('workspace.create', { name: 'pin0', gpus: 2, gpuModel: 'H100', ...SMALL }),
    );
    assert.match(taken.message, /held by 1 workspace of other users/);
  });

  it('stops again a GPU workspace started outside Berth, whose container names GPUs it no longer holds', async () => {
    const { workspace } = await alice.request('workspace.get', { name: 'train' });
    assert.equal(workspace.state, 'stopped');
    docker('start', `berth-${workspace.id}`);
    const stopped = await waitFor('the reconciler to stop it again', async () => {
      const { workspace: now } = await alice.request('workspace.get', { name: 'train' });
      const running = docker('inspect', '-f', '{{.State.Running}}', `berth-${workspace.id}`) === 'true';
      return !running && now.message?.includes('started outside Berth') ? now : null;
    });
    assert.equal(stopped.state, 'stopped');
    assert.equal(stopped.gpus, undefined);
  });

  it('stops again a workspace whose GPUs were set to 0 while stopped, when its old GPU container is started outside Berth', async () => {
    const { workspace } = await alice.request('workspace.create', { name: 'shrunk', gpus: 1, ...SMALL });
    assert.equal(workspace.gpus?.length, 1);
    await alice.request('workspace.stop', { name: 'shrunk' });
    await alice.request('workspace.update', { name: 'shrunk', changes: { gpus: 0 } });
    docker('start', `berth-${workspace.id}`);
    const stopped = await waitFor('the reconciler to stop it again', async () => {
      const { workspace: now } = await alice.request('workspace.get', { name: 'shrunk' });
      const running = docker('inspect', '-f', '{{.State.Running}}', `berth-${workspace.id}`) === 'true';
      return !running && now.message?.includes('started outside Berth') ? now : null;
    });
    assert.equal(stopped.state, 'stopped');
    assert.match(stopped.message ?? '', /older spec/);
    await alice.request('workspace.delete', { name: 'shrunk', deleteData: true });
  });

  it('never double-allocates under 50 concurrent creates', async () => {
    const client = await agent.connect(agent.token('carol'));
    try {
      const names = Array.from({ length: 50 }, (_, i) => `many-${i}`);
      const results = await Promise.allSettled(
        names.map((name) => client.request('workspace.create', { name, gpus: 1, ...SMALL })),
      );
      const won = results.flatMap((result) => (result.status === 'fulfilled' ? [result.value.workspace] : []));
      const lost = results.flatMap((result) => (result.status === 'rejected' ? [result.reason as BerthError] : []));
      // Free now: H100_1, A100, T4 (H100_0 is bob's).
      assert.equal(won.length, 3, lost.map((err) => err.message).join('\n'));
      assert.ok(
        lost.every((err) => err.code === 'no_capacity'),
        lost.map((err) => err.message).join('\n'),
      );
      const recorded = won.flatMap(
        (ws) => proxy.createOf(ws.id)?.body.HostConfig?.DeviceRequests?.[0]?.DeviceIDs ?? [],
      );
      assert.deepEqual([...recorded].sort(), [A100, H100_1, T4].sort());
      const info = await client.request('host.info', {});
      assert.ok(info.gpus.every((gpu) => gpu.holders.length <= 1));
      await Promise.all(won.map((ws) => client.request('workspace.delete', { name: ws.name, deleteData: true })));
      const freed = await client.request('host.info', {});
      assert.deepEqual(
        freed.gpus.filter((gpu) => gpu.free === 1).map((gpu) => gpu.uuid),
        [H100_1, A100, T4],
        'delete gives the GPUs back',
      );
    } finally {
      client.close();
    }
  });
});

describe('agent: shared GPUs, MIG slices and CDI device requests', function () {
  this.timeout(240_000);
  let proxy: RecordingDockerProxy;
  let client: AgentClient;

  before(async () => {
    proxy = await RecordingDockerProxy.start();
  });
  const agent = useAgent(() => ({
    args: ['--docker-socket', proxy.socketPath, '--gpu-sharing', '2', '--gpu-mode', 'cdi'],
    env: fakeGpuEnv('mig'),
  }));
  before(async () => {
    client = await agent.connect(agent.token('dana'));
  });
  after(async () => {
    await proxy?.close();
  });

  it('lists a GPU in MIG mode with its slices, and assigns only slices and whole GPUs', async () => {
    const info = await client.request('host.info', {});
    assert.equal(info.gpuSharing, 2);
    assert.deepEqual(
      info.gpus.map((gpu) => [gpu.index, gpu.uuid, gpu.mig, gpu.parent, gpu.slots]),
      [
        ['0', MIG_PARENT, true, null, 0],
        ['0:0', MIG_SLICES[0], false, MIG_PARENT, 2],
        ['0:1', MIG_SLICES[1], false, MIG_PARENT, 2],
        ['0:2', MIG_SLICES[2], false, MIG_PARENT, 2],
        ['1', MIG_WHOLE, false, null, 2],
      ],
    );
    const parent = await refusal(client.request('workspace.create', { name: 'x', gpus: 5, ...SMALL }));
    assert.match(parent.message, /this host has 4 GPUs; ask for at most 4/);
  });

  it('shares each device among at most 2 workspaces, least shared first, as CDI names', async () => {
    const created = [];
    for (const name of ['s1', 's2', 's3', 's4', 's5']) {
      created.push((await client.request('workspace.create', { name, gpus: 1, ...SMALL })).workspace);
    }
    const ids = created.map((ws) => ws.gpus?.[0]?.uuid);
    assert.deepEqual(ids, [MIG_SLICES[0], MIG_SLICES[1], MIG_SLICES[2], MIG_WHOLE, MIG_SLICES[0]]);
    assert.deepEqual(proxy.createOf(created[3]!.id)?.body.HostConfig?.DeviceRequests, [
      { Driver: 'cdi', DeviceIDs: [`nvidia.com/gpu=${MIG_WHOLE}`] },
    ]);
    const info = await client.request('host.info', {});
    assert.deepEqual(info.gpus[1]?.holders, [
      { owner: 'dana', workspace: 's1' },
      { owner: 'dana', workspace: 's5' },
    ]);
    assert.equal(info.gpus[1]?.free, 0);
    assert.equal(info.gpus[2]?.free, 1);
  });
});

describe('agent: GPUs on an engine without the NVIDIA runtime (no proxy)', function () {
  this.timeout(120_000);
  const agent = useAgent({ env: fakeGpuEnv('plain') });

  it('says Docker cannot hand out GPUs and what to install, and leaves nothing behind', async () => {
    const client = await agent.connect(agent.token('erin'));
    try {
      const failed = await refusal(client.request('workspace.create', { name: 'gpu', gpus: 1, ...SMALL }));
      assert.equal(failed.code, 'runtime_error');
      assert.match(failed.message, /could not select device driver "nvidia".*install the NVIDIA Container Toolkit/);
      const { workspaces } = await client.request('workspace.list', {});
      assert.deepEqual(workspaces, []);
      const info = await client.request('host.info', {});
      assert.ok(
        info.gpus.every((gpu) => gpu.holders.length === 0),
        'the failed create gave its GPU back',
      );
    } finally {
      client.close();
    }
  });
});
