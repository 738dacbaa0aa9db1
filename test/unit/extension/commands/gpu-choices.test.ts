import * as assert from 'node:assert/strict';
import { gpuChoices } from '../../../../extension/commands/gpu-choices';
import type { HostGpu } from '../../../../protocol';

function gpu(index: string, free: number, holders: HostGpu['holders'] = []): HostGpu {
  return {
    index,
    uuid: `GPU-${index}`,
    name: 'NVIDIA H100 80GB HBM3',
    memory: 80 * 1024 ** 3,
    memoryUsed: 0,
    utilization: 0,
    parent: null,
    mig: false,
    slots: 1,
    free,
    holders,
  };
}

describe('create wizard: GPU choices', () => {
  it('offers each count with the free GPUs it would get, and who holds the rest', () => {
    const choices = gpuChoices([
      gpu('0', 0, [{ owner: 'alice', workspace: 'train' }]),
      gpu('1', 1),
      gpu('2', 0, [{ owner: null, workspace: null }]),
    ]);
    assert.deepEqual(
      choices.map((choice) => [choice.label, choice.description, choice.value]),
      [
        ['No GPU', '', 0],
        ['1 GPU', '1: NVIDIA H100 80GB HBM3', 1],
        ['2 GPUs', 'only 1 free now (held by train, 1 of other users)', 2],
        ['3 GPUs', 'only 1 free now (held by train, 1 of other users)', 3],
      ],
    );
  });
});
