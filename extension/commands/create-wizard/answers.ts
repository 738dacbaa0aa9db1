// The create wizard's answers and steps, free of `vscode` so that the step logic is unit-tested.
import { cloneWithSecret, type Clone, type HostGpu, type HostInfo, type WorkspaceSpecInput } from '../../../protocol';
import type { FolderRemote } from './git-remote';

/** One step of the wizard. */
export type StepId = 'name' | 'image' | 'cpus' | 'memory' | 'gpuModel' | 'gpus' | 'idle' | 'clone' | 'cloneSecret';

/**
 * What the user answered so far. `null` stands for "the host's default" (the spec leaves the field
 * out), `undefined` for "not asked yet".
 */
export interface Answers {
  name?: string;
  image?: string;
  cpus?: number | null;
  memory?: number | null;
  /** A GPU model (a name nvidia-smi reports), or null for any. */
  gpuModel?: string | null;
  gpus?: number;
  idleTimeout?: number | null;
  /** The open folder's repository to clone on create, or null for none. */
  clone?: { url: string; branch?: string } | null;
  /** The secret (by name) the clone reads its token or key from, or null for none. */
  cloneSecret?: string | null;
}

/** What the open folder offers to clone: its remote (null: none), and the user's secrets by name. */
export interface CloneOffer {
  remote: FolderRemote | null;
  secrets: string[];
}

/** The GPUs (and MIG slices) a workspace can be given: a GPU in MIG mode only through its slices. */
export function assignableGpus(info: HostInfo): HostGpu[] {
  return info.gpus.filter((gpu) => gpu.slots > 0);
}

/** The distinct GPU models among the assignable GPUs, in the order nvidia-smi lists them. */
export function gpuModels(info: HostInfo): string[] {
  return [...new Set(assignableGpus(info).map((gpu) => gpu.name))];
}

/** The assignable GPUs of `model` (all of them for null or undefined). */
export function gpusOfModel(info: HostInfo, model: string | null | undefined): HostGpu[] {
  const assignable = assignableGpus(info);
  return model ? assignable.filter((gpu) => gpu.name === model) : assignable;
}

/**
 * The steps for this host, in order: a GPU model only where the host has more than one, GPUs only
 * where it has any; the repository only where the open folder has a remote, and its secret only
 * where that remote may need credentials, the user has secrets and a clone was not declined.
 */
export function stepsFor(info: HostInfo, offer?: CloneOffer, answers: Answers = {}): StepId[] {
  const steps: StepId[] = ['name', 'image', 'cpus', 'memory'];
  if (gpuModels(info).length > 1) steps.push('gpuModel');
  if (assignableGpus(info).length) steps.push('gpus');
  steps.push('idle');
  if (offer?.remote) {
    steps.push('clone');
    if (offer.remote.credentials && offer.secrets.length && answers.clone !== null) steps.push('cloneSecret');
  }
  return steps;
}

/** The title of step `index` (0-based) of `steps`, e.g. `New workspace on Lab (1/5): name`. */
export function stepTitle(hostLabel: string, steps: StepId[], index: number): string {
  const what: Record<StepId, string> = {
    name: 'name',
    image: 'image',
    cpus: 'CPUs',
    memory: 'memory',
    gpuModel: 'GPU model',
    gpus: 'GPUs',
    idle: 'stop when idle',
    clone: 'repository',
    cloneSecret: 'clone credentials',
  };
  const host = index === 0 ? ` on ${hostLabel}` : '';
  return `New workspace${host} (${index + 1}/${steps.length}): ${what[steps[index] ?? 'name']}`;
}

/** The spec the answers make: host defaults left out, a GPU model only with GPUs, a clone's secret as a secret file. */
export function specOf(answers: Answers): WorkspaceSpecInput {
  const spec: WorkspaceSpecInput = { name: answers.name ?? '' };
  if (answers.image !== undefined) spec.image = answers.image;
  if (typeof answers.cpus === 'number') spec.cpus = answers.cpus;
  if (typeof answers.memory === 'number') spec.memory = answers.memory;
  if (answers.gpus !== undefined) spec.gpus = answers.gpus;
  if (answers.gpus && answers.gpuModel) spec.gpuModel = answers.gpuModel;
  if (typeof answers.idleTimeout === 'number') spec.idleTimeout = answers.idleTimeout;
  if (answers.clone) {
    // The same fields as berth create --clone URL --branch B --clone-secret NAME.
    const clone: Clone = { url: answers.clone.url };
    if (answers.clone.branch) clone.branch = answers.clone.branch;
    if (answers.cloneSecret) clone.secret = answers.cloneSecret;
    const made = cloneWithSecret(clone, spec.secrets);
    spec.clone = made.clone;
    if (made.secrets) spec.secrets = made.secrets;
  }
  return spec;
}
