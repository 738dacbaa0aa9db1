import * as assert from 'node:assert/strict';
import type { HostConfig, HostStatus } from '../../../../extension/hosts/host';
import { gpuChildren, gpuHostNode, gpuSlices, type GpuState } from '../../../../extension/views/gpu-model';
import type { HostGpu } from '../../../../protocol';
import { hostGpu } from '../../../support/builders';

const host: HostConfig = { id: 'lab', label: 'Lab Host', url: 'ws://127.0.0.1:7420' };
const connected: HostStatus = {
  kind: 'connected',
  welcome: { protocol: 1, agentVersion: '1', host: 'box', user: { name: 'alice', admin: false } },
};
const gpu = (index: string, over: Partial<HostGpu> = {}): HostGpu => hostGpu({ index, ...over });
const state = (gpus: HostGpu[], note?: string): GpuState => ({
  gpus,
  sharing: 1,
  me: 'alice',
  ...(note ? { note } : {}),
});

describe('GPU view: rows', () => {
  it('counts the GPUs, their MIG slices, and those with room on the host row', () => {
    const gpus = [gpu('0', { free: 0, holders: [{ owner: 'alice', workspace: 'web' }] }), gpu('1')];
    assert.equal(gpuHostNode(host, connected, state(gpus)).description, '1 free · 2 GPUs');
    const mig = [gpu('0', { mig: true, slots: 0, free: 0 }), gpu('0:1', { parent: 'GPU-0' })];
    assert.equal(gpuHostNode(host, connected, state(mig)).description, '1 free · 1 GPU · 1 MIG slice');
  });

  it('lists every GPU and slice under its host, with a stable id', () => {
    const rows = gpuChildren(host, connected, state([gpu('0'), gpu('1')]));
    assert.deepEqual(
      rows.map((row) => [row.id, row.label]),
      [
        ['gpu:lab:GPU-0', '0 · H100 80GB HBM3'],
        ['gpu:lab:GPU-1', '1 · H100 80GB HBM3'],
      ],
    );
  });

  it('puts the MIG slices under their GPU', () => {
    const gpus = [gpu('0', { mig: true, slots: 0, free: 0 }), gpu('0:1', { uuid: 'MIG-1', parent: 'GPU-0' }), gpu('1')];
    const rows = gpuChildren(host, connected, state(gpus));
    assert.deepEqual(
      rows.map((row) => [row.label.split(' ')[0], row.migParent]),
      [
        ['0', 'GPU-0'],
        ['1', undefined],
      ],
    );
    assert.deepEqual(
      gpuSlices(host, state(gpus), 'GPU-0').map((row) => row.id),
      ['gpu:lab:MIG-1'],
    );
  });

  it("says why there are none: no GPU, the agent's note, a failed read", () => {
    assert.equal(gpuHostNode(host, connected, state([])).description, 'no GPUs');
    assert.deepEqual(
      gpuChildren(host, connected, state([])).map((row) => row.label),
      ['No GPUs on this host'],
    );
    assert.deepEqual(
      gpuChildren(host, connected, state([], 'nvidia-smi not found')).map((row) => row.label),
      ['nvidia-smi not found'],
    );
    assert.deepEqual(
      gpuChildren(host, connected, { error: 'timed out' }).map((row) => row.label),
      ['Could not read GPUs: timed out'],
    );
  });

  it('shows a host that is not connected without rows under it', () => {
    const down: HostStatus = { kind: 'error', message: 'connection refused' };
    assert.equal(gpuHostNode(host, down, undefined).description, 'not connected');
    assert.deepEqual(gpuChildren(host, down, undefined), []);
  });
});
