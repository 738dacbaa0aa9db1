import * as assert from 'node:assert/strict';
import { choose, type Holding } from '../../../../agent/gpu/allocator';
import type { GpuDevice } from '../../../../agent/gpu/nvidia-smi';

const GiB = 1024 ** 3;

function gpu(index: string, name: string, memoryGiB: number, extra: Partial<GpuDevice> = {}): GpuDevice {
  return {
    index,
    uuid: `GPU-${index}`,
    name,
    memory: memoryGiB * GiB,
    memoryUsed: 0,
    utilization: 0,
    parent: null,
    mig: false,
    ...extra,
  };
}

const HOST = [
  gpu('0', 'NVIDIA H100 80GB HBM3', 80),
  gpu('1', 'NVIDIA H100 80GB HBM3', 80),
  gpu('2', 'NVIDIA A100-PCIE-40GB', 40),
];
const held = (workspaceId: string, ...uuids: string[]): Holding => ({
  workspaceId,
  owner: 'alice',
  name: workspaceId,
  uuids,
});
const fresh = { workspaceId: 'new', current: [] };

describe('GPU allocator (pure)', () => {
  it('gives free GPUs exclusively, in nvidia-smi order', () => {
    assert.deepEqual(choose(HOST, [], { count: 2 }, 1, fresh), { kind: 'ok', uuids: ['GPU-0', 'GPU-1'] });
    assert.deepEqual(choose(HOST, [held('a', 'GPU-0')], { count: 2 }, 1, fresh), {
      kind: 'ok',
      uuids: ['GPU-1', 'GPU-2'],
    });
  });

  it('is busy when too few are free, and impossible when the host never has enough', () => {
    const choice = choose(HOST, [held('a', 'GPU-0', 'GPU-1')], { count: 2 }, 1, fresh);
    assert.deepEqual(choice, { kind: 'busy', candidates: ['GPU-0', 'GPU-1', 'GPU-2'], free: 1 });
    const impossible = choose(HOST, [], { count: 4 }, 1, fresh);
    assert.equal(impossible.kind, 'impossible');
    assert.match((impossible as { message: string }).message, /this host has 3 GPUs; ask for at most 3/);
  });

  it('filters by model (case-insensitive substring) and minimum memory', () => {
    assert.deepEqual(choose(HOST, [], { count: 1, model: 'a100' }, 1, fresh), { kind: 'ok', uuids: ['GPU-2'] });
    assert.deepEqual(choose(HOST, [], { count: 2, minMemory: 41 * GiB }, 1, fresh), {
      kind: 'ok',
      uuids: ['GPU-0', 'GPU-1'],
    });
    const none = choose(HOST, [], { count: 1, model: 'H100', minMemory: 90 * GiB }, 1, fresh);
    assert.match((none as { message: string }).message, /has 0 GPUs matching "H100" with at least 90 GiB/);
  });

  it('shares a GPU among up to N workspaces, least shared first, never twice to one workspace', () => {
    const holdings = [held('a', 'GPU-0'), held('b', 'GPU-1')];
    assert.deepEqual(choose(HOST, holdings, { count: 1 }, 2, fresh), { kind: 'ok', uuids: ['GPU-2'] });
    const full = [...holdings, held('c', 'GPU-2')];
    assert.deepEqual(choose(HOST, full, { count: 2 }, 2, fresh), { kind: 'ok', uuids: ['GPU-0', 'GPU-1'] });
    const twice = [held('a', 'GPU-0', 'GPU-1', 'GPU-2'), held('b', 'GPU-0', 'GPU-1', 'GPU-2')];
    assert.equal(choose(HOST, twice, { count: 1 }, 2, fresh).kind, 'busy');
  });

  it('assigns MIG slices, never a GPU in MIG mode itself', () => {
    const mig = [
      gpu('0', 'A100', 40, { mig: true }),
      gpu('0:0', 'A100 MIG 3g.20gb', 20, { uuid: 'MIG-a', parent: 'GPU-0' }),
      gpu('0:1', 'A100 MIG 1g.5gb', 5, { uuid: 'MIG-b', parent: 'GPU-0' }),
    ];
    assert.deepEqual(choose(mig, [], { count: 2 }, 1, fresh), { kind: 'ok', uuids: ['MIG-a', 'MIG-b'] });
    assert.equal(choose(mig, [], { count: 3 }, 1, fresh).kind, 'impossible');
    assert.equal(choose(mig, [], { count: 1, uuids: ['GPU-0'] }, 1, fresh).kind, 'impossible');
    assert.deepEqual(choose(mig, [], { count: 1, minMemory: 10 * GiB }, 1, fresh), { kind: 'ok', uuids: ['MIG-a'] });
  });

  it('gives exactly the pinned UUIDs, or waits for them', () => {
    assert.deepEqual(choose(HOST, [], { count: 1, uuids: ['GPU-2'] }, 1, fresh), { kind: 'ok', uuids: ['GPU-2'] });
    assert.equal(choose(HOST, [held('a', 'GPU-2')], { count: 1, uuids: ['GPU-2'] }, 1, fresh).kind, 'busy');
    assert.equal(choose(HOST, [], { count: 1, uuids: ['GPU-9'] }, 1, fresh).kind, 'impossible');
  });

  it('keeps the GPUs a workspace already holds (its own holding is not counted against it)', () => {
    const holdings = [held('me', 'GPU-1'), held('other', 'GPU-0')];
    assert.deepEqual(choose(HOST, holdings, { count: 2 }, 1, { workspaceId: 'me', current: ['GPU-1'] }), {
      kind: 'ok',
      uuids: ['GPU-1', 'GPU-2'],
    });
  });
});
