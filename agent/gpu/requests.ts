import { createHash } from 'node:crypto';
import { BerthError } from '../../protocol';
import type { WorkspaceRecord } from '../state/record';
import type { User } from '../users';
import type { GpuRequest } from './allocator';

/** The GPU request a spec makes. */
export function requestOf(spec: WorkspaceRecord['spec']): GpuRequest {
  return { count: spec.gpus, model: spec.gpuModel, minMemory: spec.gpuMemory, uuids: spec.gpuUuids };
}

/** Pinning GPUs by UUID is an admin's call: `forbidden` for anyone else. */
export function requireAdminToPin(user: User, uuids: string[] | undefined): void {
  if (uuids?.length && !user.admin) {
    throw new BerthError(
      'forbidden',
      'only an admin may pin GPUs by UUID or remove a pin; ask for a count, a model (--gpu-model) or memory (--gpu-memory) instead',
    );
  }
}

/**
 * The label hash of a workspace's container: the spec's, plus the GPUs and how they were requested,
 * so that a start with other GPUs recreates the container (DeviceRequests cannot be updated).
 * Without GPUs it is the spec hash alone.
 */
export function containerHash(specHash: string, uuids: string[] | undefined, mode: string): string {
  if (!uuids?.length) return specHash;
  return createHash('sha256')
    .update(JSON.stringify([specHash, mode, uuids]))
    .digest('hex')
    .slice(0, 16);
}
