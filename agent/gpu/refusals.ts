import { BerthError } from '../../protocol';
import type { WorkspaceRecord } from '../state/record';
import { describeFilters, type GpuRequest, type Holding } from './allocator';

/** A start refused for GPUs (none free, over quota): the workspace stays stopped rather than failed. */
export class GpuRefusal extends BerthError {}

/** Who asks for GPUs: a workspace, or (`workspace.admit`) one not made yet, with no id. */
export type Asker = Pick<WorkspaceRecord, 'id' | 'owner'>;

/**
 * `no_capacity` for `request` when only `free` of its `candidates` are free, naming who holds them
 * (of `holdings`): the asker's own workspaces by name, other users' by count; `advice` says what to do.
 */
export function busyRefusal(
  holdings: Holding[],
  asker: Asker,
  request: GpuRequest,
  candidates: string[],
  free: number,
  advice = 'stop one, or wait for them with --wait-gpus',
): GpuRefusal {
  const holders = holdings.filter(
    (holding) => holding.workspaceId !== asker.id && holding.uuids.some((uuid) => candidates.includes(uuid)),
  );
  const own = holders.filter((holding) => holding.owner === asker.owner).map((holding) => holding.name);
  const others = holders.length - own.length;
  const by = [
    ...(own.length ? [`your workspace${own.length > 1 ? 's' : ''} ${own.join(', ')}`] : []),
    ...(others ? [`${others} workspace${others > 1 ? 's' : ''} of other users`] : []),
  ].join(' and ');
  const what = request.uuids
    ? `GPUs ${request.uuids.join(', ')}`
    : `${request.count} GPU${request.count > 1 ? 's' : ''}${describeFilters(request)}`;
  return new GpuRefusal(
    'no_capacity',
    `no ${what} free (${free} of ${candidates.length} free; held by ${by || 'nobody'}); ${advice}`,
    {
      requested: request.count,
      free,
      holders: [
        ...own.map((name) => ({ owner: asker.owner, workspace: name })),
        ...Array.from({ length: others }, () => ({ owner: null, workspace: null })),
      ],
    },
  );
}
