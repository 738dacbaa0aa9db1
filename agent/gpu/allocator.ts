import type { GpuDevice } from './nvidia-smi';

/**
 * Which GPUs a workspace gets: a pure function of the inventory, who holds what, and the request.
 * Rules:
 * - Only assignable devices count: whole GPUs not in MIG mode, and MIG slices. A GPU in MIG mode is
 *   never handed out itself.
 * - A device has `sharing` slots (1: exclusive). One workspace never gets the same device twice.
 * - A request is a count, optionally narrowed by a model substring (case-insensitive, on the name)
 *   and a minimum memory; or exactly the pinned UUIDs an admin chose.
 * - Among free devices, the ones the workspace already holds come first (an update keeps its GPUs),
 *   then the least shared, then in nvidia-smi's order.
 */

/** What a workspace asks for. */
export interface GpuRequest {
  count: number;
  model?: string | undefined;
  /** Bytes. */
  minMemory?: number | undefined;
  /** Exactly these UUIDs (admins only; checked when the spec is set). */
  uuids?: string[] | undefined;
}

/** GPUs one workspace holds now. */
export interface Holding {
  workspaceId: string;
  owner: string;
  name: string;
  uuids: string[];
}

/** The outcome of {@link choose}: the UUIDs, or why not. */
export type Choice =
  | { kind: 'ok'; uuids: string[] }
  /** The host can never satisfy it (too few matching devices, unknown pinned UUIDs). */
  | { kind: 'impossible'; message: string }
  /** Enough matching devices exist but too few are free now; `candidates` are the matching ones. */
  | { kind: 'busy'; candidates: string[]; free: number };

/** Devices that may be handed out: whole GPUs not in MIG mode, and MIG slices. */
export function assignable(devices: GpuDevice[]): GpuDevice[] {
  return devices.filter((device) => !device.mig);
}

/** Whether a device fits the request's model and memory filters. */
export function fits(device: GpuDevice, request: GpuRequest): boolean {
  if (request.model && !device.name.toLowerCase().includes(request.model.toLowerCase())) return false;
  if (request.minMemory && (device.memory === null || device.memory < request.minMemory)) return false;
  return true;
}

/** Words for the filters of a request: ` matching "H100" with at least 40 GiB`. */
export function describeFilters(request: GpuRequest): string {
  const parts: string[] = [];
  if (request.model) parts.push(`matching "${request.model}"`);
  if (request.minMemory) parts.push(`with at least ${Math.round(request.minMemory / 1024 ** 3)} GiB`);
  return parts.length ? ` ${parts.join(' ')}` : '';
}

/** How many holders each UUID has, leaving out `exceptWorkspace` (whose own holding is being replaced). */
export function holderCounts(holdings: Holding[], exceptWorkspace?: string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const holding of holdings) {
    if (holding.workspaceId === exceptWorkspace) continue;
    for (const uuid of holding.uuids) counts.set(uuid, (counts.get(uuid) ?? 0) + 1);
  }
  return counts;
}

/** Picks devices for `request` of workspace `self` (its current holding, if any, is preferred and not counted). */
export function choose(
  devices: GpuDevice[],
  holdings: Holding[],
  request: GpuRequest,
  sharing: number,
  self: { workspaceId: string; current: string[] },
): Choice {
  const pool = assignable(devices);
  let candidates: GpuDevice[];
  if (request.uuids) {
    const unknown = request.uuids.filter((uuid) => !pool.some((device) => device.uuid === uuid));
    if (unknown.length) {
      return {
        kind: 'impossible',
        message: `this host has no assignable GPU ${unknown.join(', ')} (a GPU in MIG mode is assigned only by its MIG- slices); see berth gpus`,
      };
    }
    candidates = request.uuids.map((uuid) => pool.find((device) => device.uuid === uuid) as GpuDevice);
  } else {
    candidates = pool.filter((device) => fits(device, request));
    if (candidates.length < request.count) {
      const total = pool.length
        ? `this host has ${candidates.length} GPU${candidates.length === 1 ? '' : 's'}${describeFilters(request)}`
        : 'this host has no GPUs';
      return { kind: 'impossible', message: `${total}; ask for at most ${candidates.length} (see berth gpus)` };
    }
  }
  const counts = holderCounts(holdings, self.workspaceId);
  const free = candidates.filter((device) => (counts.get(device.uuid) ?? 0) < sharing);
  const order = (device: GpuDevice) => [self.current.includes(device.uuid) ? 0 : 1, counts.get(device.uuid) ?? 0];
  const ranked = free
    .map((device, position) => ({ device, position, key: order(device) }))
    .sort((a, b) => a.key[0]! - b.key[0]! || a.key[1]! - b.key[1]! || a.position - b.position)
    .map(({ device }) => device);
  const enough = request.uuids ? free.length === candidates.length : ranked.length >= request.count;
  if (!enough) return { kind: 'busy', candidates: candidates.map((device) => device.uuid), free: free.length };
  return { kind: 'ok', uuids: ranked.slice(0, request.count).map((device) => device.uuid) };
}

/** The GPUs `owner` holds, leaving out one workspace (whose holding is being replaced). */
export function heldBy(holdings: Holding[], owner: string, exceptWorkspace: string): Holding[] {
  return holdings.filter((holding) => holding.owner === owner && holding.workspaceId !== exceptWorkspace);
}
