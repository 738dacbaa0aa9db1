import * as assert from 'node:assert/strict';
import type { HostGpu, WorkspaceUsage } from '../../../../protocol';
import { gpuLine, hostsStatusText, usageLines } from '../../../../extension/wording/usage';
import { hostGpu } from '../../../support/builders';

const GiB = 1024 ** 3;
const MiB = 1024 ** 2;

const usage = (over: Partial<WorkspaceUsage> = {}): WorkspaceUsage => ({
  sampledAt: '2026-12-02T04:10:30.123Z',
  interval: 30,
  cpu: 0.4213,
  cpus: 2,
  memory: 312 * MiB,
  memoryLimit: 4 * GiB,
  gpus: [],
  ...over,
});

const gpu0 = (over: Partial<HostGpu> = {}): HostGpu =>
  hostGpu({ uuid: 'GPU-0b1f2a3c', memory: 81559 * MiB, memoryUsed: 1024 * MiB, utilization: 17, ...over });

describe('wording: usage rows', () => {
  it('shows CPU and memory against their limits', () => {
    const [cpu, memory] = usageLines(usage());
    assert.deepEqual([cpu?.label, cpu?.description], ['CPU', '0.42 cores of 2 (21%)']);
    assert.deepEqual([memory?.label, memory?.description], ['Memory', '312 MiB of 4 GiB (8%)']);
  });

  it('dates the sample with an absolute time, which cannot go stale', () => {
    assert.equal(usageLines(usage())[0]?.tooltip, 'Average over the last 30 s, sampled 2026-12-02 04:10:30 UTC.');
  });

  it('says CPU is being measured before the second sample, and memory not measured when the host cannot say', () => {
    const [cpu, memory] = usageLines(usage({ cpu: null, memory: null, cpus: 1 }));
    assert.equal(cpu?.description, 'measuring… (limit 1 core)');
    assert.equal(memory?.description, 'not measured (limit 4 GiB)');
  });

  it('adds one row per held GPU with its utilization and memory', () => {
    const gpus = [{ index: '0', name: 'NVIDIA H100 80GB HBM3', utilization: 17, memoryUsed: GiB, memory: 80 * GiB }];
    const rows = usageLines(usage({ gpus }));
    assert.deepEqual(
      rows.map((row) => [row.key, row.label, row.description]),
      [
        ['cpu', 'CPU', '0.42 cores of 2 (21%)'],
        ['memory', 'Memory', '312 MiB of 4 GiB (8%)'],
        ['gpu:0', 'GPU 0', '17% · 1 GiB of 80 GiB'],
      ],
    );
  });

  it('leaves out what nvidia-smi does not report (a MIG slice has no memory figure)', () => {
    const gpus = [{ index: '0:1', name: 'A100 slice', utilization: null, memoryUsed: null, memory: 10 * GiB }];
    assert.equal(usageLines(usage({ gpus }))[2]?.description, '10 GiB');
    const bare = [{ index: '3', name: 'T4', utilization: null, memoryUsed: null, memory: null }];
    assert.equal(usageLines(usage({ gpus: bare }))[2]?.description, 'no figures reported');
  });
});

describe('wording: GPU view rows', () => {
  it('shows a free GPU with its model, figures and "free"', () => {
    const line = gpuLine(gpu0(), 'alice');
    assert.equal(line.label, '0 · H100 80GB HBM3');
    assert.equal(line.description, 'free · 17% · 1 GiB of 79.6 GiB');
    assert.match(line.tooltip, /^NVIDIA H100 80GB HBM3 \(index 0\)\nUUID GPU-0b1f2a3c\n/);
  });

  it('names the holder: own workspaces by name, others as owner/name for an admin, else counted', () => {
    const holders = [
      { owner: 'alice', workspace: 'web' },
      { owner: 'bob', workspace: 'train' },
      { owner: null, workspace: null },
    ];
    const line = gpuLine(gpu0({ free: 0, slots: 3, holders }), 'alice');
    assert.equal(line.description, '0 of 3 free · held by web, bob/train, 1 other · 17% · 1 GiB of 79.6 GiB');
    assert.match(gpuLine(gpu0({ free: 0, holders: [holders[0]!] }), 'alice').description, /^held by web · /);
  });

  it('says a GPU in MIG mode is assigned by slice, and which GPU a slice is of', () => {
    assert.match(
      gpuLine(gpu0({ mig: true, slots: 0, free: 0 }), 'alice').description,
      /^MIG mode: assigned by slice · /,
    );
    const slice = gpuLine(
      gpu0({ index: '0:1', uuid: 'MIG-1', parent: 'GPU-0b1f2a3c', name: 'NVIDIA A100-SXM4-40GB MIG 2g.10gb' }),
      'alice',
    );
    assert.equal(slice.label, '0:1 · MIG 2g.10gb');
    assert.match(slice.tooltip, /MIG slice of GPU-0b1f2a3c/);
  });
});

describe('wording: the hosts status-bar item', () => {
  it('counts hosts and running workspaces', () => {
    assert.equal(hostsStatusText({ hosts: 2, connected: 2, running: 3 }), '$(server) 2 hosts · 3 running');
    assert.equal(hostsStatusText({ hosts: 1, connected: 1, running: 0 }), '$(server) 1 host · 0 running');
  });

  it('shows how many hosts are connected when some are not', () => {
    assert.equal(hostsStatusText({ hosts: 2, connected: 1, running: 1 }), '$(server) 1 of 2 hosts · 1 running');
  });

  it('says only "Berth" before any host is added', () => {
    assert.equal(hostsStatusText({ hosts: 0, connected: 0, running: 0 }), '$(server) Berth');
  });
});
