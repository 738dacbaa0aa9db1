import type { HostGpu, HostInfo } from '../../../../../protocol';

export const GiB = 1024 ** 3;

/** A GPU of `model`, free, or (with `mig`) a GPU in MIG mode that is assigned only through its slices. */
export function gpu(index: string, model: string, { free = 1, mig = false } = {}): HostGpu {
  return {
    index,
    uuid: `GPU-${index}`,
    name: model,
    memory: null,
    memoryUsed: null,
    utilization: null,
    parent: null,
    mig,
    slots: mig ? 0 : 1,
    free: mig ? 0 : free,
    holders: [],
  };
}

/** A host of 16 CPUs and 32 GiB whose defaults are 2 CPUs, 4 GiB and an idle stop after an hour. */
export function host(overrides: Partial<HostInfo> = {}): HostInfo {
  return {
    agentVersion: '0.1.0',
    protocol: 2,
    host: 'lab',
    user: { name: 'ada', admin: false },
    docker: null,
    cpus: 16,
    memory: 32 * GiB,
    defaultImage: 'berth-workspace:latest',
    defaults: { cpus: 2, memory: 4 * GiB, idleTimeout: 3600, idleMax: 0 },
    sshPorts: { first: 2200, last: 2399, used: 0 },
    workspaces: { total: 0, running: 0 },
    gpus: [],
    gpuSharing: 1,
    orphans: [],
    ...overrides,
  };
}
