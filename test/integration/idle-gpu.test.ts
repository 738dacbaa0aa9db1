import * as assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { AgentClient } from '../../client/agent-client';
import { fakeGpuEnv } from '../support/fake-gpus';
import { RecordingDockerProxy } from '../support/recording-proxy';
import { useAgent } from '../support/use-agent';
import { waitFor } from '../support/wait';

const TRAINING = 'GPU-7a1f2a3c-4d5e-6f70-8192-a3b4c5d6e7f8';
const IDLE_GPU = 'GPU-8b2d3e4f-5a6b-7c8d-9eaf-b0c1d2e3f4a5';
const IDLE_TIMEOUT_S = 5;
const IDLE_WARN_S = 2;
const IDLE_INTERVAL_S = 1;

/**
 * A host with two GPUs as the fake nvidia-smi prints them: the H100 at 97 % with a compute process
 * (a training run), the A100 untouched. The compute process's pid is not on this host, as when
 * nvidia-smi sees another PID namespace: the GPU being held by one workspace is what ties it.
 */
const FIXTURE = {
  gpus: [
    {
      index: '0',
      uuid: TRAINING,
      name: 'NVIDIA H100 80GB HBM3',
      'memory.total': '81559',
      'memory.used': '61234',
      'utilization.gpu': '97',
      'mig.mode.current': 'Disabled',
    },
    {
      index: '1',
      uuid: IDLE_GPU,
      name: 'NVIDIA A100-PCIE-40GB',
      'memory.total': '40960',
      'memory.used': '0',
      'utilization.gpu': '0',
      'mig.mode.current': 'Disabled',
    },
  ],
  apps: [{ gpu_uuid: TRAINING, pid: '4194303', used_memory: '61000', process_name: 'python3' }],
};

describe('agent: idle shutdown sees GPU use (fake nvidia-smi)', function () {
  this.timeout(120_000);
  let proxy: RecordingDockerProxy;
  let fixture: string;
  let client: AgentClient;

  before(async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'berth-idle-gpu-'));
    fixture = path.join(dir, 'training.json');
    writeFileSync(fixture, JSON.stringify(FIXTURE));
    proxy = await RecordingDockerProxy.start();
  });
  const agent = useAgent(() => ({
    args: [
      '--docker-socket',
      proxy.socketPath,
      '--idle-timeout',
      `${IDLE_TIMEOUT_S}s`,
      '--idle-warn-before',
      `${IDLE_WARN_S}s`,
      '--idle-interval',
      `${IDLE_INTERVAL_S}s`,
    ],
    env: fakeGpuEnv(fixture),
  }));
  before(async () => {
    client = await agent.connect(agent.token('carol'));
  });
  after(async () => {
    await proxy?.close();
  });

  it('keeps the workspace whose GPU is busy with nobody present, and stops the one whose GPU is idle', async () => {
    const training = await client.request('workspace.create', { name: 'training', gpus: 1, gpuModel: 'h100' });
    assert.deepEqual(
      training.workspace.gpus?.map((gpu) => gpu.uuid),
      [TRAINING],
    );
    const idle = await client.request('workspace.create', { name: 'notebook', gpus: 1, gpuModel: 'a100' });
    assert.deepEqual(
      idle.workspace.gpus?.map((gpu) => gpu.uuid),
      [IDLE_GPU],
    );
    const stopped = await waitFor('the workspace with the idle GPU to stop', async () => {
      const { workspace } = await client.request('workspace.get', { name: 'notebook' });
      return workspace.state === 'stopped' ? workspace : false;
    });
    assert.equal(stopped.stopReason, 'idle');
    // The training workspace's own idle deadline (timeout + warning, from its start) has to pass
    // before "still running" means anything: wait for that moment, however fast the creates were.
    const ownDeadline = Date.parse(training.workspace.since) + (IDLE_TIMEOUT_S + IDLE_WARN_S) * 1000;
    await waitFor("a moment past the training workspace's own idle deadline", async () => {
      if (Date.now() < ownDeadline + 2 * IDLE_INTERVAL_S * 1000) return false;
      // and a monitor pass that started after it
      const { workspace } = await client.request('workspace.get', { name: 'training' });
      return workspace.lastActivity && Date.parse(workspace.lastActivity.at) > ownDeadline;
    });
    const { workspace } = await client.request('workspace.get', { name: 'training' });
    assert.equal(workspace.state, 'running');
    assert.equal(workspace.lastActivity?.signal, 'busy');
    const status = await client.request('idle.status', {});
    const row = status.workspaces.find((ws) => ws.name === 'training');
    assert.equal(row?.signals?.gpuBusy, true);
    assert.equal(row?.decision?.stopAt, null);
  });
});
