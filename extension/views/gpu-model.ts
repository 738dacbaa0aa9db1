import type { HostGpu } from '../../protocol';
import type { HostConfig, HostStatus } from '../hosts/host';
import { gpuLine } from '../wording/usage';

/** What the GPU view knows of one host: its last `host.info` GPUs, or why there are none. */
export type GpuState = { gpus: HostGpu[]; note?: string; sharing: number; me: string } | { error: string } | undefined;

/** A row of the GPU view, free of `vscode` types. */
export interface GpuNode {
  kind: 'gpu-host' | 'gpu' | 'gpu-hint';
  id: string;
  hostId: string;
  label: string;
  description: string;
  tooltip: string;
  icon: { id: string; color?: string };
  /** For a GPU in MIG mode: its UUID, its slices being the rows under it. */
  migParent?: string;
}

const WARNING: GpuNode['icon'] = { id: 'warning', color: 'problemsWarningIcon.foreground' };

/**
 * `3 free · 4 GPUs`, `4 free · 3 GPUs · 2 MIG slices`, `no GPUs`: how many of what a workspace can be given
 * (slices, and GPUs not in MIG mode) have room, first, then the host's GPUs and their MIG slices.
 */
function tally(gpus: HostGpu[]): string {
  if (!gpus.length) return 'no GPUs';
  const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
  const devices = gpus.filter((gpu) => gpu.parent === null).length;
  const slices = gpus.length - devices;
  const free = gpus.filter((gpu) => !gpu.mig && gpu.free > 0).length;
  return [`${free} free`, plural(devices, 'GPU'), ...(slices ? [plural(slices, 'MIG slice')] : [])].join(' · ');
}

/** A host's row in the GPU view, saying how its connection stands and how many GPUs are free. */
export function gpuHostNode(host: HostConfig, status: HostStatus, state: GpuState): GpuNode {
  const base = { kind: 'gpu-host' as const, id: `gpuhost:${host.id}`, hostId: host.id, label: host.label };
  if (status.kind === 'connecting') {
    return { ...base, description: 'connecting…', tooltip: host.url, icon: { id: 'loading~spin' } };
  }
  if (status.kind === 'error') return { ...base, description: 'not connected', tooltip: status.message, icon: WARNING };
  const description = !state ? 'reading…' : 'error' in state ? 'GPUs unknown' : tally(state.gpus);
  const sharing =
    state && 'sharing' in state && state.sharing > 1
      ? `\nEach GPU is shared by up to ${state.sharing} workspaces.`
      : '';
  return { ...base, description, tooltip: `${host.url}${sharing}`, icon: { id: 'server' } };
}

/** The rows under a host: each GPU and MIG slice, or one line saying why there are none. */
export function gpuChildren(host: HostConfig, status: HostStatus, state: GpuState): GpuNode[] {
  const hint = (key: string, label: string, tooltip: string, icon = WARNING): GpuNode => ({
    kind: 'gpu-hint',
    id: `gpuhint:${host.id}:${key}`,
    hostId: host.id,
    label,
    description: '',
    tooltip,
    icon,
  });
  if (status.kind !== 'connected') return [];
  if (!state) return [hint('loading', 'Reading GPUs…', '', { id: 'loading~spin' })];
  if ('error' in state) return [hint('error', `Could not read GPUs: ${state.error}`, state.error)];
  const rows = state.gpus.filter((gpu) => gpu.parent === null).map((gpu) => gpuNode(host, state, gpu));
  const note = state.note ? [hint('note', state.note, state.note, { id: 'info' })] : [];
  if (!rows.length && !note.length) return [hint('none', 'No GPUs on this host', '', { id: 'info' })];
  return [...rows, ...note];
}

/** The row of one GPU or MIG slice. */
function gpuNode(host: HostConfig, state: { me: string }, gpu: HostGpu): GpuNode {
  const line = gpuLine(gpu, state.me);
  const free = !gpu.mig && gpu.free > 0;
  return {
    kind: 'gpu',
    id: `gpu:${host.id}:${gpu.uuid}`,
    hostId: host.id,
    label: line.label,
    description: line.description,
    tooltip: line.tooltip,
    icon: gpu.mig
      ? { id: 'circuit-board', color: 'disabledForeground' }
      : { id: 'circuit-board', color: free ? 'testing.iconPassed' : 'charts.orange' },
    ...(gpu.mig ? { migParent: gpu.uuid } : {}),
  };
}

/** The MIG slices of the GPU `parent`, the rows under it. */
export function gpuSlices(host: HostConfig, state: GpuState, parent: string): GpuNode[] {
  if (!state || 'error' in state) return [];
  return state.gpus.filter((gpu) => gpu.parent === parent).map((gpu) => gpuNode(host, state, gpu));
}
