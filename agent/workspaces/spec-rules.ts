import * as os from 'node:os';
import { BerthError, SECRETS_DIR, WorkspaceSpec, describeIssues, type WorkspaceSpecInput } from '../../protocol';
import type { AgentConfig } from '../config';
import type { Runtime } from '../runtime/runtime';
import { requireWithinIdleMax } from '../idle/settings';
import { specHash } from './spec-hash';
import { BUILD_LABEL } from '../build/builder';
import { volumeHomeProblem } from './volume-rules';
import { allowPullHint, pullAllowed } from '../../protocol/image-registry';

/** A spec that the schema accepts and this host can run; `invalid_params` saying why not. */
export function validSpec(candidate: unknown): WorkspaceSpec {
  const parsed = WorkspaceSpec.safeParse(candidate);
  if (!parsed.success) throw new BerthError('invalid_params', describeIssues(parsed.error));
  const hostCpus = os.cpus().length;
  if (parsed.data.cpus > hostCpus) {
    throw new BerthError('invalid_params', `cpus: this host has ${hostCpus} CPUs; ask for at most ${hostCpus}`);
  }
  const hostMemory = os.totalmem();
  if (parsed.data.memory > hostMemory) {
    const mib = (bytes: number) => `${Math.floor(bytes / 1024 ** 2)} MiB`;
    throw new BerthError(
      'invalid_params',
      `memory: this host has ${mib(hostMemory)} of memory; ask for at most ${mib(hostMemory)}`,
    );
  }
  const pinned = parsed.data.gpuUuids;
  if (pinned && (parsed.data.gpus !== pinned.length || new Set(pinned).size !== pinned.length)) {
    throw new BerthError(
      'invalid_params',
      `gpuUuids: ${pinned.length} distinct UUIDs must go with gpus ${pinned.length} (gpus is ${parsed.data.gpus}); an admin can remove the pin with berth update NAME --clear gpu-uuid`,
    );
  }
  const clone = parsed.data.clone;
  if (clone?.secret && !parsed.data.secrets?.some((ref) => ref.key === clone.secret && ref.file !== undefined)) {
    throw new BerthError(
      'invalid_params',
      `clone.secret: "${clone.secret}" must be one of the workspace's secrets with a file target (--secret-file ${clone.secret}): the clone reads the token or key from ${SECRETS_DIR}/${clone.secret}`,
    );
  }
  const homeProblem = volumeHomeProblem(parsed.data);
  if (homeProblem) throw new BerthError('invalid_params', homeProblem);
  if ('NVIDIA_VISIBLE_DEVICES' in parsed.data.env) {
    throw new BerthError(
      'invalid_params',
      'env: NVIDIA_VISIBLE_DEVICES is set by Berth (void, or the GPUs a workspace holds); ask for GPUs with --gpus instead',
    );
  }
  return parsed.data;
}

/** A client's spec input completed with the agent's defaults, then validated. */
export function completeSpec(defaults: AgentConfig['defaults'], input: WorkspaceSpecInput): WorkspaceSpec {
  return validSpec({
    image: defaults.image,
    cpus: defaults.cpus,
    // A default bigger than a small host would refuse every create that leaves memory out.
    memory: Math.min(defaults.memoryBytes, os.totalmem()),
    gpus: input.gpuUuids?.length ?? 0,
    env: {},
    command: '',
    user: defaults.user,
    ...input,
  });
}

/** Whether two specs give the same container and GPUs (they differ at most in idle settings). */
export function sameContainer(a: WorkspaceSpec, b: WorkspaceSpec): boolean {
  return (
    specHash(a) === specHash(b) &&
    a.gpuModel === b.gpuModel &&
    a.gpuMemory === b.gpuMemory &&
    (a.gpuUuids ?? []).join() === (b.gpuUuids ?? []).join()
  );
}

/**
 * `image_not_found` saying how to get it, when `image` is not on the host and its registry is not
 * one the agent may pull from (`allowPull`; one it may is pulled as the workspace comes up,
 * bring-up.ts); `forbidden` when it is another user's build on the host (`dev.berth.build` names
 * its owner): a build holds its owner's files, so only they may run it, by tag or by id.
 */
export async function requireImage(
  runtime: Runtime,
  image: string,
  owner: string,
  allowPull: readonly string[] = [],
): Promise<void> {
  const labels = await runtime.imageLabels(image);
  if (labels === null && pullAllowed(image, allowPull)) return;
  if (labels === null) {
    throw new BerthError(
      'image_not_found',
      `image "${image}" is not on this host; build or pull it there first (docker pull ${image}), or choose another image; ${allowPullHint(image)}`,
      { image },
    );
  }
  const builtFor = labels[BUILD_LABEL]?.split(' ')[1];
  if (builtFor !== undefined && builtFor !== owner) {
    throw new BerthError(
      'forbidden',
      `image "${image}" is another user's build; build your own (berth create --build DIR)`,
    );
  }
}

/** Refuses idle settings beyond the agent's `idleMax` with `invalid_params`, saying the cap. */
export function requireIdleWithinMax(
  asked: Parameters<typeof requireWithinIdleMax>[0],
  idle: Parameters<typeof requireWithinIdleMax>[1],
): void {
  const problem = requireWithinIdleMax(asked, idle);
  if (problem) throw new BerthError('invalid_params', problem);
}
