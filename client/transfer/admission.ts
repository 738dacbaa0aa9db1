import { BerthError, type Workspace } from '../../protocol';
import type { AgentClient } from '../agent-client';

/**
 * Whether `target` would take `ws` now by its own rules (`workspace.admit`: the name, an SSH port, the
 * image, GPUs free within the owner's quota, the disk quota with the home's size): the target's
 * refusal (`host` is its name in the client's config), or null. GPUs are chosen by the target, so pinned UUIDs of the source are not asked for.
 * A target too old to answer gives null: the client's own checks are all there is then.
 */
export async function targetAdmission(target: AgentClient, host: string, ws: Workspace): Promise<string | null> {
  const spec = { ...ws.spec, name: ws.name };
  delete spec.gpuUuids;
  try {
    await target.request('workspace.admit', { spec, homeBytes: ws.disk?.home ?? 0 });
    return null;
  } catch (err) {
    if (err instanceof BerthError && err.code === 'unknown_method') return null;
    if (err instanceof BerthError) return `host "${host}" would refuse it: ${err.message}`;
    throw err;
  }
}
