import { BerthError, type HeldGpuUsage, type HostGpu, type Params, type Result } from '../../protocol';
import type { AgentConfig } from '../config';
import type { Gpus } from '../gpu/gpus';
import { memoryInUse } from '../idle/memory';
import type { User } from '../users';
import type { IdleMonitor } from '../workspaces/idle-monitor';
import type { WorkspaceService } from '../workspaces/service';

type UsageHandler = (params: Params<'workspace.usage'>, ctx: { user: User }) => Promise<Result<'workspace.usage'>>;

/**
 * The GPUs `uuids` name, from the inventory: a MIG slice, for which nvidia-smi reports no
 * utilization, gets its parent GPU's.
 */
export function heldGpuUsage(uuids: readonly string[], inventory: readonly HostGpu[]): HeldGpuUsage[] {
  return uuids.flatMap((uuid) => {
    const gpu = inventory.find((device) => device.uuid === uuid);
    if (!gpu) return [];
    const parent = gpu.parent ? inventory.find((device) => device.uuid === gpu.parent) : undefined;
    return [
      {
        index: gpu.index,
        name: gpu.name,
        utilization: gpu.utilization ?? parent?.utilization ?? null,
        memoryUsed: gpu.memoryUsed,
        memory: gpu.memory,
      },
    ];
  });
}

/**
 * `workspace.usage`: CPU from the idle monitor's last sample (no extra sampling), memory read from the
 * container's cgroup, GPUs from the inventory nvidia-smi last gave (re-read at most every few seconds,
 * however many clients ask).
 */
export function usageHandler({
  config,
  service,
  monitor,
  gpus,
}: {
  config: AgentConfig;
  service: WorkspaceService;
  monitor: IdleMonitor;
  gpus: Gpus;
}): UsageHandler {
  return async (ref, ctx) => {
    const record = service.resolve(ctx.user, ref);
    if (record.state !== 'running') {
      throw new BerthError('conflict', `workspace "${record.name}" is ${record.state}; its usage shows while it runs`);
    }
    const seen = monitor.observation(record.id);
    const pid = await monitor.containerPid(record).catch(() => 0);
    const held = record.assignedGpus ?? [];
    if (held.length) await gpus.refresh().catch(() => undefined);
    return {
      usage: {
        sampledAt: seen ? new Date(seen.at).toISOString() : null,
        interval: config.idle.interval,
        cpu: seen?.cpuCores ?? null,
        cpus: record.spec.cpus,
        memory: pid ? await memoryInUse(pid) : null,
        memoryLimit: record.spec.memory,
        gpus: held.length ? heldGpuUsage(held, gpus.hostGpus(ctx.user)) : [],
      },
    };
  };
}
