import { createHash } from 'node:crypto';
import type { WorkspaceSpec } from '../../protocol';

/**
 * Hash of everything in a spec that shapes the container (not `idleTimeout`, which only the agent
 * reads). A container whose label differs from its workspace's hash is recreated on the next start.
 */
export function specHash(spec: WorkspaceSpec): string {
  const { image, cpus, memory, gpus, env, command, user, timezone } = spec;
  const canonical = JSON.stringify([
    image,
    cpus,
    memory,
    gpus,
    Object.entries(env).sort(),
    command,
    user,
    timezone ?? '',
  ]);
  return createHash('sha256').update(canonical).digest('hex').slice(0, 16);
}
