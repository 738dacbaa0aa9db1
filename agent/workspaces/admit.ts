import type { WorkspaceSpec, WorkspaceSpecInput } from '../../protocol';
import type { User } from '../users';
import { requireAdminToPin } from '../gpu/requests';
import { requireHostAllows } from './volume-rules';
import type { ServiceDeps } from './operation';
import type { Reservations } from './reservations';
import { completeSpec, requireIdleWithinMax, requireImage } from './spec-rules';

/**
 * The spec a create of `input` for `user` makes, once every rule of the host that needs no
 * reservation passed: the spec fits the host, Docker-in-Docker and its binds are allowed, only an admin pins GPUs,
 * the idle settings are within the cap, and the image is here and the user's to run.
 */
export async function checkedSpec(deps: ServiceDeps, user: User, input: WorkspaceSpecInput): Promise<WorkspaceSpec> {
  const spec = completeSpec(deps.config.defaults, input);
  requireHostAllows(deps.config, spec, user.name);
  requireAdminToPin(user, input.gpuUuids);
  requireIdleWithinMax(input, deps.config.idle);
  await requireImage(deps.runtime, spec.image, user.name, deps.config.allowPull);
  return spec;
}

/**
 * Whether the host would take a workspace of `input` for `user` now (`workspace.admit`): what a
 * create checks, and GPUs free now within the quota (a create could wait for them; a move must not),
 * `homeBytes` more within the disk quota. Reserves nothing; the SSH port a create would get now.
 */
export async function admit(
  deps: ServiceDeps,
  reservations: Reservations,
  user: User,
  input: WorkspaceSpecInput,
  homeBytes: number,
): Promise<number> {
  const spec = await checkedSpec(deps, user, input);
  deps.disk?.requireRoomFor(user.name, homeBytes);
  await deps.gpus.requireFree(user.name, spec);
  return reservations.wouldReserve(user, spec.name);
}
