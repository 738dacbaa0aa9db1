// The create wizard's answers and steps, free of `vscode` so that the step logic is unit-tested.
import type { HostGpu, HostInfo, WorkspaceSpecInput } from '../../../protocol';

/** One step of the wizard. */
export type StepId = 'name' | 'image' | 'cpus' | 'memory' | 'gpuModel' | 'gpus' | 'idle';

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
 * where it has any.
 */
export function stepsFor(info: HostInfo): StepId[] {
  const steps: StepId[] = ['name', 'image', 'cpus', 'memory'];
  if (gpuModels(info).length > 1) steps.push('gpuModel');
  if (assignableGpus(info).length) steps.push('gpus');
  steps.push('idle');
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
  };
  const host = index === 0 ? ` on ${hostLabel}` : '';
  return `New workspace${host} (${index + 1}/${steps.length}): ${what[steps[index] ?? 'name']}`;
}

/** The spec the answers make: host defaults left out, a GPU model only with GPUs. */
export function specOf(answers: Answers): WorkspaceSpecInput {
  const spec: WorkspaceSpecInput = { name: answers.name ?? '' };
  if (answers.image !== undefined) spec.image = answers.image;
  if (typeof answers.cpus === 'number') spec.cpus = answers.cpus;
  if (typeof answers.memory === 'number') spec.memory = answers.memory;
  if (answers.gpus !== undefined) spec.gpus = answers.gpus;
  if (answers.gpus && answers.gpuModel) spec.gpuModel = answers.gpuModel;
  if (typeof answers.idleTimeout === 'number') spec.idleTimeout = answers.idleTimeout;
  return spec;
}
