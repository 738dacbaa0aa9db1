import { createHash } from 'node:crypto';
import type { WorkspaceSpec } from '../../protocol';
import { CONTAINER_CONFIG_VERSION } from '../runtime/container-config';

const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex').slice(0, 16);

/**
 * Hash of everything in a spec that shapes the container (not `idleTimeout`, which only the agent
 * reads): two specs with one hash give the same container. Containers are labelled with
 * {@link containerSpecHash}, which adds the settings' version.
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
    // Docker-in-Docker (issue 13): only when on, so that every other spec keeps its hash.
    ...(spec.docker ? ['docker'] : []),
    // Secrets by name and target only (values reach the container at each start); absent keeps old hashes.
    ...(spec.secrets?.length ? [spec.secrets] : []),
    // Volumes (issue 13): their mounts shape the container; absent keeps old hashes.
    ...(spec.volumes?.length ? [['volumes', spec.volumes]] : []),
  ]);
  return sha256(canonical);
}

/**
 * The hash a container is labelled with (GPUs aside: see `containerHash`): the spec's, and the
 * {@link CONTAINER_CONFIG_VERSION} of the settings Berth gives every container. A container whose
 * label differs from its workspace's hash (another spec, or made by an agent with other settings)
 * is recreated on the next start.
 */
export function containerSpecHash(spec: WorkspaceSpec): string {
  return sha256(JSON.stringify([CONTAINER_CONFIG_VERSION, specHash(spec)]));
}
