import { isDeepStrictEqual } from 'node:util';
import {
  BerthError,
  type BuildRecord,
  type ForwardPort,
  type HostInfo,
  type Workspace,
  type WorkspaceChanges,
  type WorkspaceVolume,
} from '../../protocol';
import { DOCUMENT_PATH, specOf, type WorkspaceFile } from './schema';
import { durationText, portOf, sizeText, volumeOf } from './render';

/** Fields whose change makes a new container (the rest are read by the agent alone, or at the next start). */
const CONTAINER_FIELDS = new Set([
  'image',
  'cpus',
  'memory',
  'gpus',
  'env',
  'command',
  'timezone',
  'gpuModel',
  'gpuMemory',
  'gpuUuids',
  'docker',
  'secrets',
  'volumes',
]);
const SIZES = new Set(['memory', 'gpuMemory']);
const DURATIONS = new Set(['idleTimeout', 'attachedGrace', 'maxLifetime']);
/** Fields a definition may leave out to mean "none" or the agent's default. */
const CLEARABLE = [
  'description',
  'gpuModel',
  'gpuMemory',
  'gpuUuids',
  'timezone',
  'idleTimeout',
  'attachedGrace',
  'maxLifetime',
  'docker',
  'secrets',
  'build',
  'clone',
  'forwardPorts',
  'volumes',
] as const;

/** One line of what `berth apply` changes: `resources.memory: 8g → 16g`. */
export interface Change {
  key: string;
  from: string;
  to: string;
}

/** What applying a definition to an existing workspace does. */
export interface Plan {
  changes: WorkspaceChanges;
  lines: Change[];
  /** Whether the running container is replaced (the home volume and host key stay). */
  recreate: boolean;
}

const show = (field: string, value: unknown): string => {
  if (value === undefined || value === null) return '(default)';
  if (SIZES.has(field) && typeof value === 'number') return String(sizeText(value));
  if (DURATIONS.has(field) && typeof value === 'number') return String(durationText(value));
  if (field === 'build' && typeof value === 'object') {
    const build = value as BuildRecord;
    return `${build.context} (${build.hash.slice(0, 12)}…)`;
  }
  if (field === 'volumes' && Array.isArray(value)) return `[${(value as WorkspaceVolume[]).map(volumeOf).join(', ')}]`;
  if (field === 'forwardPorts' && Array.isArray(value)) return JSON.stringify((value as ForwardPort[]).map(portOf));
  return typeof value === 'string' ? JSON.stringify(value) : JSON.stringify(value);
};

/**
 * The changes that make `workspace` what `doc` defines. A key the file leaves out means what it
 * means at create: the host's default (image, CPUs, memory), none (GPUs, env, command, filters), or
 * the agent's setting (idle). `user` cannot change: the home belongs to it. `built` is the image
 * the file's `build:` made (or would make: its record alone, on a dry run).
 */
export function planApply(
  workspace: Workspace,
  doc: WorkspaceFile,
  host: Pick<HostInfo, 'defaultImage' | 'defaults'>,
  built?: { image?: string; build: BuildRecord },
): Plan {
  const current = workspace.spec;
  const wanted = specOf(doc);
  if (built) {
    // A dry run knows the build's hash, not yet its image: the same hash is the same image.
    const same = built.build.hash === current.build?.hash;
    Object.assign(wanted, { build: built.build, image: built.image ?? (same ? current.image : '(the new build)') });
  }
  if (wanted.user !== undefined && wanted.user !== current.user) {
    throw new BerthError(
      'invalid_params',
      `user: the workspace "${workspace.name}" is entered as ${current.user}, and its home belongs to that user; a workspace's user is fixed once created (delete and create it again for another, or put user: ${current.user})`,
    );
  }
  const filled: Record<string, unknown> = {
    image: host.defaultImage,
    cpus: host.defaults?.cpus ?? current.cpus,
    memory: host.defaults?.memory ?? current.memory,
    gpus: wanted.gpuUuids?.length ?? 0,
    env: {},
    command: '',
    ...wanted,
  };
  for (const field of CLEARABLE) filled[field] ??= null;
  const changes: Record<string, unknown> = {};
  const lines: Change[] = [];
  for (const [field, value] of Object.entries(filled)) {
    if (field === 'name' || field === 'user') continue;
    const now = (current as Record<string, unknown>)[field];
    if (value === null ? now === undefined : isDeepStrictEqual(value, now)) continue;
    changes[field] = value;
    lines.push({ key: (DOCUMENT_PATH[field] ?? [field]).join('.'), from: show(field, now), to: show(field, value) });
  }
  const running = ['running', 'starting', 'creating'].includes(workspace.state);
  const recreate = running && Object.keys(changes).some((field) => CONTAINER_FIELDS.has(field));
  return { changes: changes, lines, recreate };
}
