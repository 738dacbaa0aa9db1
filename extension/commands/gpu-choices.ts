import type { HostGpu } from '../../protocol';

/**
 * The GPU counts to offer: each says which free GPUs it would get now, or who holds the rest (the
 * caller's own workspaces by name, others' as a count), since the agent refuses when none are free.
 */
export function gpuChoices(assignable: HostGpu[]): { label: string; description: string; value: number }[] {
  const free = assignable.filter((gpu) => gpu.free > 0);
  const holders = assignable.flatMap((gpu) => (gpu.free > 0 ? [] : gpu.holders));
  const named = [...new Set(holders.flatMap((holder) => (holder.workspace ? [holder.workspace] : [])))];
  const others = holders.filter((holder) => !holder.workspace).length;
  const heldBy = [...named, ...(others ? [`${others} of other users`] : [])].join(', ');
  return Array.from({ length: assignable.length + 1 }, (_, n) => ({
    label: n ? `${n} GPU${n > 1 ? 's' : ''}` : 'No GPU',
    description:
      n === 0
        ? ''
        : n <= free.length
          ? free
              .slice(0, n)
              .map((gpu) => `${gpu.index}: ${gpu.name}`)
              .join(', ')
          : `only ${free.length} free now (held by ${heldBy || 'others'})`,
    value: n,
  }));
}
