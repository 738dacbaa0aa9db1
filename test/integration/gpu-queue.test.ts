import * as assert from 'node:assert/strict';
import type { AgentClient, ClientEvent } from '../../client/agent-client';
import type { Workspace } from '../../protocol';
import { cliEnv, startBerth } from '../support/cli';
import { fakeGpuEnv } from '../support/fake-gpus';
import { RecordingDockerProxy } from '../support/recording-proxy';
import { useAgent } from '../support/use-agent';
import { waitFor } from '../support/wait';
import { refusal } from '../support/refusal';

const SMALL = { memory: 256 * 1024 ** 2, cpus: 0.5 };

describe('agent: a workspace waiting for GPUs, seen and cancelled from anywhere (fake nvidia-smi)', function () {
  this.timeout(180_000);
  let proxy: RecordingDockerProxy;
  let alice: AgentClient;
  let bob: AgentClient;
  let bobElsewhere: AgentClient;
  let admin: AgentClient;
  let bobToken: string;
  let adminToken: string;
  /** The last workspace.changed bob's other connection saw of each workspace. */
  const seen = new Map<string, Workspace>();

  before(async () => {
    proxy = await RecordingDockerProxy.start();
    proxy.defaultRuntime = 'nvidia';
  });
  const agent = useAgent(() => ({ args: ['--docker-socket', proxy.socketPath], env: fakeGpuEnv('plain') }));
  before(async () => {
    alice = await agent.connect(agent.token('alice'));
    bobToken = agent.token('bob');
    bob = await agent.connect(bobToken);
    bobElsewhere = await agent.connect(bobToken);
    adminToken = agent.token('root-admin', true);
    admin = await agent.connect(adminToken);
    bobElsewhere.onEvent((event: ClientEvent) => {
      if (event.event === 'workspace.changed') seen.set(event.data.workspace.name, event.data.workspace);
    });
    // alice holds all four GPUs of the fixture.
    await alice.request('workspace.create', { name: 'holder', gpus: 4, ...SMALL });
  });
  after(async () => {
    await proxy?.close();
  });

  const queueOf = async (name: string) => (await bobElsewhere.request('workspace.get', { name })).workspace.gpuQueue;

  it('shows its place and the GPUs it waits for, and `berth rm` from another terminal cancels and deletes it', async () => {
    const waiting = refusal(bob.request('workspace.create', { name: 'queued', gpus: 2, waitForGpus: 600, ...SMALL }));
    await waitFor('queued to wait in the GPU queue', async () => (await queueOf('queued'))?.position === 1);
    assert.deepEqual(await queueOf('queued'), { position: 1, gpus: 2 });
    assert.deepEqual(seen.get('queued')?.gpuQueue, { position: 1, gpus: 2 }, 'announced to every client');
    const rm = startBerth(['rm', 'queued', '--yes'], cliEnv(agent.url, bobToken));
    const { code } = await rm.exited;
    assert.equal(code, 0, rm.stderr());
    const cancelled = await waiting;
    assert.equal(cancelled.code, 'cancelled');
    assert.match(cancelled.message, /^cancelled by bob while waiting for GPUs/);
    const { workspaces } = await bob.request('workspace.list', {});
    assert.deepEqual(
      workspaces.map((ws) => ws.name),
      [],
    );
  });

  it("lets an admin cancel a queued create (berth stop --owner): it ends 'cancelled by' for the waiting client and the workspace stays stopped", async () => {
    const waiting = refusal(bob.request('workspace.create', { name: 'later', gpus: 1, waitForGpus: 600, ...SMALL }));
    await waitFor('later to wait in the GPU queue', async () => (await queueOf('later'))?.position === 1);
    const stop = startBerth(['stop', 'later', '--owner', 'bob', '--json'], cliEnv(agent.url, adminToken));
    assert.equal((await stop.exited).code, 0, stop.stderr());
    const workspace = JSON.parse(stop.stdout()) as Workspace;
    assert.equal(workspace.state, 'stopped');
    assert.equal(workspace.gpuQueue, undefined);
    const cancelled = await waiting;
    assert.equal(cancelled.code, 'cancelled');
    assert.match(cancelled.message, /cancelled by root-admin while waiting for GPUs; "later" is kept, stopped/);
    assert.equal(seen.get('later')?.state, 'stopped');
  });

  it('moves the others up when one leaves the queue, refuses another user, and serves the head once GPUs are free', async () => {
    const first = refusal(bob.request('workspace.start', { name: 'later', waitForGpus: 600 }));
    await waitFor('later to be first', async () => (await queueOf('later'))?.position === 1);
    const second = bob.request('workspace.create', { name: 'next', gpus: 1, waitForGpus: 600, ...SMALL });
    await waitFor('next to be second', async () => (await queueOf('next'))?.position === 2);
    const mallory = await agent.connect(agent.token('mallory'));
    const forbidden = await refusal(
      mallory.request('workspace.delete', { name: 'next', owner: 'bob', deleteData: true }),
    );
    assert.equal(forbidden.code, 'forbidden');
    const deleted = await admin.request('workspace.delete', { name: 'later', owner: 'bob', deleteData: true });
    assert.equal(deleted.name, 'later');
    assert.match((await first).message, /^cancelled by root-admin while waiting for GPUs/);
    await waitFor('next to move up, announced', () => seen.get('next')?.gpuQueue?.position === 1);
    // A restart is one operation: the holder keeps its GPUs, the waiter is not served in between.
    const restarted = await alice.request('workspace.restart', { name: 'holder' });
    assert.equal(restarted.workspace.state, 'running');
    assert.equal(restarted.workspace.gpus?.length, 4);
    assert.deepEqual(await queueOf('next'), { position: 1, gpus: 1 });
    await alice.request('workspace.stop', { name: 'holder' });
    const { workspace } = await second;
    assert.equal(workspace.state, 'running');
    assert.equal(workspace.gpuQueue, undefined);
    assert.equal(workspace.gpus?.length, 1);
  });
});
