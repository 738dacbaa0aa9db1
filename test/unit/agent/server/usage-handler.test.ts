import * as assert from 'node:assert/strict';
import type { HostGpu } from '../../../../protocol';
import { heldGpuUsage } from '../../../../agent/server/usage-handler';
import { hostGpu } from '../../../support/builders';

const gpu = (over: Partial<HostGpu>): HostGpu =>
  hostGpu({
    uuid: 'GPU-a',
    name: 'NVIDIA A100-SXM4-40GB',
    memory: 40 * 1024 ** 3,
    memoryUsed: 1024 ** 3,
    utilization: 30,
    free: 0,
    ...over,
  });

describe('agent: the GPUs a workspace holds, for workspace.usage', () => {
  it('lists held GPUs from the inventory, leaving out a UUID it no longer has', () => {
    const usage = heldGpuUsage(['GPU-a', 'GPU-gone'], [gpu({}), gpu({ index: '1', uuid: 'GPU-b' })]);
    assert.deepEqual(usage, [
      { index: '0', name: 'NVIDIA A100-SXM4-40GB', utilization: 30, memoryUsed: 1024 ** 3, memory: 40 * 1024 ** 3 },
    ]);
  });

  it("gives a MIG slice its parent GPU's utilization", () => {
    const parent = gpu({ mig: true, utilization: 55, slots: 0 });
    const slice = gpu({ index: '0:1', uuid: 'MIG-x', parent: 'GPU-a', utilization: null, memoryUsed: null });
    assert.equal(heldGpuUsage(['MIG-x'], [parent, slice])[0]?.utilization, 55);
  });
});
