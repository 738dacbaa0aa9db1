// Live usage, GPUs and the hosts' status-bar text, as the views word them (free of `vscode`).
import type { HeldGpuUsage, HostGpu, WorkspaceUsage } from '../../protocol';
import { memoryLabel } from './sizes';

/** One line of a view: a label, its description, and a tooltip. */
export interface UsageLine {
  /** Stable within its parent (`cpu`, `memory`, `gpu:0`). */
  key: string;
  label: string;
  description: string;
  tooltip: string;
}

const percent = (part: number, whole: number) => (whole > 0 ? `${Math.round((part / whole) * 100)}%` : '');

/** `0.42 cores` (two significant places), `1 core`. */
function cores(value: number): string {
  const text = value >= 10 ? value.toFixed(0) : value >= 1 ? `${+value.toFixed(1)}` : `${+value.toFixed(2)}`;
  return `${text} ${text === '1' ? 'core' : 'cores'}`;
}

/** `17% · 1 GiB of 79.6 GiB used`; the parts nvidia-smi did not report are left out. */
export function gpuFigures(gpu: Pick<HeldGpuUsage, 'utilization' | 'memoryUsed' | 'memory'>): string {
  const parts: string[] = [];
  if (gpu.utilization !== null) parts.push(`${gpu.utilization}%`);
  if (gpu.memoryUsed !== null && gpu.memory !== null) {
    parts.push(`${memoryLabel(gpu.memoryUsed)} of ${memoryLabel(gpu.memory)}`);
  } else if (gpu.memory !== null) parts.push(memoryLabel(gpu.memory));
  return parts.join(' · ') || 'no figures reported';
}

/**
 * The usage rows under a running workspace: CPU against its limit, memory against its limit, each
 * held GPU's utilization and memory. `sampledAt` goes into the tooltips as an absolute time, so
 * nothing in them goes stale while shown.
 */
export function usageLines(usage: WorkspaceUsage): UsageLine[] {
  const sampled = usage.sampledAt ? `sampled ${usage.sampledAt.replace('T', ' ').replace(/\.\d+Z$/, ' UTC')}` : '';
  const cpu: UsageLine = {
    key: 'cpu',
    label: 'CPU',
    description:
      usage.cpu === null
        ? `measuring… (limit ${cores(usage.cpus)})`
        : `${cores(usage.cpu)} of ${usage.cpus} (${percent(usage.cpu, usage.cpus)})`,
    tooltip:
      usage.cpu === null
        ? `The first figure comes after two samples, ${usage.interval} s apart.`
        : `Average over the last ${usage.interval} s, ${sampled}.`,
  };
  const memory: UsageLine = {
    key: 'memory',
    label: 'Memory',
    description:
      usage.memory === null
        ? `not measured (limit ${memoryLabel(usage.memoryLimit)})`
        : `${memoryLabel(usage.memory)} of ${memoryLabel(usage.memoryLimit)} (${percent(usage.memory, usage.memoryLimit)})`,
    tooltip:
      usage.memory === null
        ? "The host's cgroup accounting does not say how much memory this workspace uses."
        : 'In use now, page cache that can be reclaimed left out (as docker stats counts it).',
  };
  const gpus = usage.gpus.map((gpu): UsageLine => ({
    key: `gpu:${gpu.index}`,
    label: `GPU ${gpu.index}`,
    description: gpuFigures(gpu),
    tooltip: `${gpu.name}: utilization and memory as nvidia-smi last reported them.`,
  }));
  return [cpu, memory, ...gpus];
}

/**
 * Who holds a GPU as the caller may see it: `web`, `alice/train` (another user's, seen by an admin),
 * `2 others` (other users' workspaces, unnamed).
 */
export function gpuHolders(gpu: HostGpu, me: string): string {
  const named = gpu.holders
    .filter((holder) => holder.workspace !== null)
    .map((holder) => (holder.owner === me ? `${holder.workspace}` : `${holder.owner}/${holder.workspace}`));
  const others = gpu.holders.length - named.length;
  if (others) named.push(`${others} other${others > 1 ? 's' : ''}`);
  return named.join(', ');
}

/**
 * A model name short enough for a row: without the vendor (`H100 80GB HBM3`), and for a MIG slice,
 * which sits under its GPU's row, only the profile (`MIG 3g.20gb`).
 */
export function shortModel(gpu: Pick<HostGpu, 'name' | 'parent'>): string {
  const profile = gpu.parent ? /\bMIG \S+$/.exec(gpu.name)?.[0] : undefined;
  return profile ?? gpu.name.replace(/^NVIDIA /, '');
}

/**
 * A row of the GPU view, what `berth gpus` prints, leading with what the side bar must not cut:
 * `0 · H100 80GB HBM3`, then `held by web · 17% · 1 GiB of 79.6 GiB` or `free · …` (`1 of 2 free`
 * where GPUs are shared). A GPU in MIG mode is assigned only by its slices (the rows under it).
 */
export function gpuLine(gpu: HostGpu, me: string): UsageLine {
  const holders = gpuHolders(gpu, me);
  const availability = gpu.mig
    ? 'MIG mode: assigned by slice'
    : gpu.slots > 1
      ? `${gpu.free} of ${gpu.slots} free${holders ? ` · held by ${holders}` : ''}`
      : holders
        ? `held by ${holders}`
        : 'free';
  return {
    key: `gpu:${gpu.uuid}`,
    label: `${gpu.index} · ${shortModel(gpu)}`,
    description: `${availability} · ${gpuFigures(gpu)}`,
    tooltip: [
      `${gpu.name} (index ${gpu.index})`,
      `UUID ${gpu.uuid}`,
      ...(gpu.parent ? [`MIG slice of ${gpu.parent}`] : []),
      `Memory: ${gpu.memory === null ? 'not reported' : memoryLabel(gpu.memory)}${gpu.memoryUsed === null || gpu.memory === null ? '' : `, ${memoryLabel(gpu.memoryUsed)} in use`}`,
      `Utilization: ${gpu.utilization === null ? 'not reported' : `${gpu.utilization}%`}`,
      gpu.mig ? 'In MIG mode: workspaces get its slices' : `Held by: ${holders || 'nobody'}`,
    ].join('\n'),
  };
}

/** What the hosts' status-bar item counts. */
export interface HostsTally {
  hosts: number;
  connected: number;
  /** The user's own running workspaces, on every connected host. */
  running: number;
}

/**
 * The hosts' status-bar text: `$(server) 2 hosts · 3 running`, `$(server) 1 of 2 hosts · 1 running`
 * while some host is not connected, `$(server) Berth` before any host is added.
 */
export function hostsStatusText({ hosts, connected, running }: HostsTally): string {
  if (hosts === 0) return '$(server) Berth';
  const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
  const shown = connected === hosts ? plural(hosts, 'host') : `${connected} of ${plural(hosts, 'host')}`;
  return `$(server) ${shown} · ${running} running`;
}
