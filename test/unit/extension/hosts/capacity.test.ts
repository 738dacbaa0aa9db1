import * as assert from 'node:assert/strict';
import { capacityLabel } from '../../../../extension/hosts/capacity';
import type { HostGpu, HostInfo } from '../../../../protocol';

const GiB = 1024 ** 3;

/** A host of 8 CPUs and 16 GiB with `gpus`, and what its workspaces hold. */
function host(allocated: HostInfo['allocated'], gpus: HostGpu[] = []): HostInfo {
  return {
    agentVersion: '0.1.0',
    protocol: 1,
    host: 'gpu1',
    user: { name: 'ada', admin: false },
    docker: null,
    cpus: 8,
    memory: 16 * GiB,
    defaultImage: 'berth-workspace:latest',
    sshPorts: { first: 2200, last: 2399, used: 0 },
    workspaces: { total: 0, running: 0 },
    ...(allocated ? { allocated } : {}),
    gpus,
    gpuSharing: 1,
    orphans: [],
  };
}

function gpu(index: string, free: number, mig = false): HostGpu {
  return {
    index,
    uuid: `GPU-${index}`,
    name: 'NVIDIA A100',
    memory: null,
    memoryUsed: null,
    utilization: null,
    parent: null,
    mig,
    slots: mig ? 0 : 1,
    free,
    holders: [],
  };
}

describe('extension: host capacity in the create wizard', () => {
  it('says what is free of CPUs and memory', () => {
    assert.equal(capacityLabel(host({ cpus: 2.5, memory: 4 * GiB })), '5.5 of 8 CPUs free · 12 GiB of 16 GiB free');
  });

  it('counts GPUs that can take one more workspace, not GPUs in MIG mode', () => {
    const gpus = [gpu('0', 0), gpu('1', 1), gpu('2', 0, true)];
    assert.equal(
      capacityLabel(host({ cpus: 0, memory: 0 }, gpus)),
      '8 of 8 CPUs free · 16 GiB of 16 GiB free · 1 of 2 GPUs free',
    );
  });

  it('treats an agent that reports no allocation as all free, and never shows less than nothing', () => {
    assert.match(capacityLabel(host(undefined)), /^8 of 8 CPUs free/);
    assert.match(capacityLabel(host({ cpus: 12, memory: 20 * GiB })), /^0 of 8 CPUs free · 0 MiB of 16 GiB free$/);
  });
});
