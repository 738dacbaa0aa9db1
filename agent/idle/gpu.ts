import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { readUsage, type GpuUsage } from '../gpu/nvidia-smi';
import type { WorkspaceRecord } from '../state/record';

/** Utilization (percent) at or above which a GPU held by one workspace counts as in use. */
export const GPU_BUSY_UTILIZATION = 10;

/** A running workspace holding GPUs, with its container's main process. */
export interface GpuHolderProcess {
  record: WorkspaceRecord;
  pid: number;
}

/** GPU use per workspace id: true busy, false idle; absent when unknown. */
export type GpuProbe = (holders: GpuHolderProcess[]) => Promise<Map<string, boolean>>;

/** The cgroup lines of a process, or null when it is gone or not visible. */
async function cgroupOf(pid: number, procRoot: string): Promise<string[] | null> {
  const text = await fs.readFile(path.join(procRoot, String(pid), 'cgroup'), 'utf8').catch(() => null);
  return text === null ? null : text.split('\n').filter(Boolean);
}

/** Whether a process's cgroups lie within a container's (same hierarchy lines, same or deeper path). */
export function withinCgroup(process: string[], container: string[]): boolean {
  const paths = new Map(
    container.map((line) => [line.slice(0, line.lastIndexOf(':')), line.slice(line.lastIndexOf(':') + 1)]),
  );
  return process.some((line) => {
    const own = paths.get(line.slice(0, line.lastIndexOf(':')));
    const cgroup = line.slice(line.lastIndexOf(':') + 1);
    return own !== undefined && own !== '/' && (cgroup === own || cgroup.startsWith(`${own}/`));
  });
}

/**
 * Decides which workspaces' GPUs are in use from one nvidia-smi reading:
 * - a compute process that lives in the workspace's container (by cgroup) makes it busy;
 * - a GPU (or, for a MIG slice, its parent GPU, which is what nvidia-smi reports on) that only this
 *   workspace holds is busy when it runs any compute process or its utilization is at least
 *   {@link GPU_BUSY_UTILIZATION} percent;
 * - a shared GPU busy with processes none of which can be placed in a container (another PID
 *   namespace) counts for every holder: never stop what might be someone's training.
 * Workspaces whose GPUs nvidia-smi does not report are left out (unknown).
 */
export async function gpuBusy(
  holders: GpuHolderProcess[],
  usage: Map<string, GpuUsage>,
  parentOf: (uuid: string) => string | null,
  procRoot = '/proc',
): Promise<Map<string, boolean>> {
  const reported = (uuid: string) => (usage.has(uuid) ? uuid : (parentOf(uuid) ?? uuid));
  const sharers = new Map<string, number>();
  for (const { record } of holders) {
    for (const uuid of new Set((record.assignedGpus ?? []).map(reported))) {
      sharers.set(uuid, (sharers.get(uuid) ?? 0) + 1);
    }
  }
  const cgroups = new Map<number, string[] | null>();
  const cgroup = async (pid: number) => {
    if (!cgroups.has(pid)) cgroups.set(pid, await cgroupOf(pid, procRoot));
    return cgroups.get(pid) ?? null;
  };
  const result = new Map<string, boolean>();
  for (const { record, pid } of holders) {
    const container = await cgroup(pid);
    let known = false;
    let busy = false;
    for (const uuid of new Set((record.assignedGpus ?? []).map(reported))) {
      const device = usage.get(uuid);
      if (!device) continue;
      known = true;
      const placed = await Promise.all(device.processes.map(async (p) => await cgroup(p.pid)));
      const own = container ? placed.some((lines) => lines !== null && withinCgroup(lines, container)) : false;
      const unplaced = placed.length > 0 && placed.every((lines) => lines === null);
      const used = device.processes.length > 0 || (device.utilization ?? 0) >= GPU_BUSY_UTILIZATION;
      if (own || ((sharers.get(uuid) ?? 1) === 1 && used) || (unplaced && used)) busy = true;
    }
    if (known) result.set(record.id, busy);
  }
  return result;
}

/** A probe that runs `nvidia-smi` (only when some running workspace holds GPUs). */
export function nvidiaGpuProbe(binary: string, parentOf: (uuid: string) => string | null): GpuProbe {
  return async (holders) => {
    const holding = holders.filter(({ record }) => record.assignedGpus?.length);
    if (!holding.length) return new Map();
    return gpuBusy(holding, await readUsage(binary), parentOf);
  };
}
