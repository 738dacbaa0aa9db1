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
}

const WARNING: GpuNode['icon'] = { id: 'warning', color: 'problemsWarningIcon.foreground' };

/** `4 GPUs · 3 free`: the GPUs and MIG slices a workspace can be given, and how many have room. */
function tally(gpus: HostGpu[]): string {
  const assignable = gpus.filter((gpu) => !gpu.mig);
  const free = assignable.filter((gpu) => gpu.free > 0).length;
  return `${assignable.length} GPU${assignable.length === 1 ? '' : 's'} · ${free} free`;
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
  const rows = state.gpus.map((gpu): GpuNode => {
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
    };
  });
  const note = state.note ? [hint('note', state.note, state.note, { id: 'info' })] : [];
  if (!rows.length && !note.length) return [hint('none', 'No GPUs on this host', '', { id: 'info' })];
  return [...rows, ...note];
}
