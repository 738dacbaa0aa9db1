import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import type { AgentClient } from '../../client/agent-client';
import { BerthError } from '../../protocol';
import { fakeGpuEnv } from '../support/fake-gpus';
import { RecordingDockerProxy } from '../support/recording-proxy';
import { useAgent } from '../support/use-agent';
import { waitFor } from '../support/wait';

const MiB = 1024 ** 2;
/** GPU 0 of the `plain` fixture: an H100 at 17 %, 1024 MiB of its 81559 in use. */
const H100 = {
  index: '0',
  name: 'NVIDIA H100 80GB HBM3',
  utilization: 17,
  memoryUsed: 1024 * MiB,
  memory: 81559 * MiB,
};

async function refusal(promise: Promise<unknown>): Promise<string> {
  const err = await promise.then(
    () => assert.fail('expected a refusal'),
    (e: unknown) => e,
  );
  assert.ok(err instanceof BerthError, String(err));
  return err.code;
}

/**
 * `workspace.usage` against a real agent and container: CPU from the idle monitor's samples (on a
 * one-second interval here), memory from the container's cgroup, GPUs from the (fake) nvidia-smi.
 */
describe('agent: workspace.usage', function () {
  this.timeout(120_000);
  let proxy: RecordingDockerProxy;
  let client: AgentClient;
  before(async () => {
    proxy = await RecordingDockerProxy.start();
  });
  const agent = useAgent(() => ({
    args: ['--docker-socket', proxy.socketPath, '--idle-interval', '1s'],
    env: fakeGpuEnv('plain'),
  }));
  before(async () => {
    client = await agent.connect(agent.token('uma'));
  });
  after(async () => {
    await proxy?.close();
  });

  it("reports a running workspace's CPU, memory and GPUs, CPU rising with a busy process", async () => {
    const { workspace } = await client.request('workspace.create', {
      name: 'busy',
      cpus: 2,
      memory: 512 * MiB,
      gpus: 1,
      gpuModel: 'h100',
    });
    const first = await waitFor('a CPU figure from two samples', async () => {
      const { usage } = await client.request('workspace.usage', { name: 'busy' });
      return usage.cpu !== null ? usage : false;
    });
    assert.equal(first.cpus, 2);
    assert.equal(first.memoryLimit, 512 * MiB);
    assert.equal(first.interval, 1);
    assert.ok(first.sampledAt && Date.parse(first.sampledAt) > Date.parse(workspace.since), 'sampled during this run');
    assert.ok(first.memory !== null && first.memory > 0 && first.memory < 512 * MiB, `memory ${first.memory}`);
    assert.deepEqual(first.gpus, [H100]);

    const container = `berth-${workspace.id}`;
    const spin = spawnSync('docker', ['exec', '-d', container, 'timeout', '60', 'sh', '-c', 'while :; do :; done']);
    assert.equal(spin.status, 0, spin.stderr.toString());
    await waitFor('the busy loop to show as about one core', async () => {
      const { usage } = await client.request('workspace.usage', { name: 'busy' });
      return usage.cpu !== null && usage.cpu > 0.5;
    });
  });

  it("refuses a stopped workspace and another user's", async () => {
    await client.request('workspace.create', { name: 'resting', cpus: 1, memory: 256 * MiB });
    await client.request('workspace.stop', { name: 'resting' });
    assert.equal(await refusal(client.request('workspace.usage', { name: 'resting' })), 'conflict');
    const other = await agent.connect(agent.token('vic'));
    assert.equal(await refusal(other.request('workspace.usage', { name: 'busy' })), 'not_found');
    assert.equal(await refusal(other.request('workspace.usage', { name: 'busy', owner: 'uma' })), 'forbidden');
  });
});
