import type { HostInfo } from '../../../protocol';
import { gpuChoices } from '../gpu-choices';
import { gpuModels, gpusOfModel, stepTitle, stepsFor, type Answers, type CloneOffer, type StepId } from './answers';
import {
  cloneChoices,
  cloneSecretChoices,
  cpuChoices,
  gpuModelChoices,
  idleChoices,
  imageChoices,
  memoryChoices,
} from './choices';
import { BACK, askPick, askText, type StepResult } from './multi-step';

/** What the wizard knows of the host it creates on. */
export interface WizardHost {
  label: string;
  info: HostInfo;
  /** The host's images (`repo:tag`); null when the agent does not list them. */
  images: string[] | null;
  /** Why `name` cannot be a new workspace there, or null. */
  nameProblem(name: string): string | null;
  /** The open folder's remote to offer for clone on create, and the user's secrets by name. */
  clone?: CloneOffer;
}

const MiB = 1024 ** 2;

/** Memory as text the memory step reads back exactly: `6g`, `1536m`. */
function memoryText(bytes: number): string {
  return bytes % 1024 ** 3 === 0 ? `${bytes / 1024 ** 3}g` : bytes % MiB === 0 ? `${bytes / MiB}m` : `${bytes / 1024}k`;
}

/** Asks step `id` with the answers so far; resolves to the answers with this one set. */
async function ask(
  id: StepId,
  host: WizardHost,
  answers: Answers,
  title: string,
  note?: string,
): Promise<StepResult<Answers>> {
  const back = id !== 'name';
  const { info } = host;
  const with_ = <K extends keyof Answers>(key: K, result: StepResult<Answers[K]>): StepResult<Answers> =>
    result === BACK || result === undefined ? result : { ...answers, [key]: result };
  switch (id) {
    case 'name':
      return with_(
        'name',
        await askText({
          title,
          back,
          value: answers.name ?? '',
          prompt: note ?? 'Lowercase letters, digits and hyphens, starting with a letter',
          validate: (value) => host.nameProblem(value),
        }),
      );
    case 'image': {
      const image = answers.image ?? info.defaultImage;
      const listed = host.images?.includes(image) ?? image === info.defaultImage;
      return with_(
        'image',
        await askPick({
          title,
          back,
          placeholder: "Type an image reference, or pick one of the host's images",
          choices: (typed) => imageChoices(typed, host.images, info.defaultImage, info.pullRegistries),
          typed: listed ? '' : image,
          previous: image,
        }),
      );
    }
    case 'cpus':
    case 'memory': {
      const previous = answers[id];
      const choices = id === 'cpus' ? cpuChoices : memoryChoices;
      const preset = choices('', info).some((choice) => choice.value === previous);
      const text =
        typeof previous !== 'number' || preset ? '' : id === 'cpus' ? String(previous) : memoryText(previous);
      return with_(
        id,
        await askPick({
          title,
          back,
          placeholder:
            id === 'cpus' ? 'Pick, or type a number such as 3 or 1.5' : 'Pick, or type a size such as 6g or 512m',
          choices: (typed) => choices(typed, info),
          typed: text,
          previous: previous === undefined && info.defaults ? null : previous,
        }),
      );
    }
    case 'gpuModel':
      return with_(
        'gpuModel',
        await askPick({
          title,
          back,
          placeholder: 'Which GPUs the workspace may get',
          choices: () => gpuModelChoices(info, gpuModels(info)),
          previous: answers.gpuModel ?? null,
        }),
      );
    case 'gpus': {
      const gpus = gpusOfModel(info, answers.gpuModel);
      const free = gpus.filter((gpu) => gpu.free > 0).length;
      return with_(
        'gpus',
        await askPick({
          title: `${title} (${free} of ${gpus.length} free)`,
          back,
          placeholder: 'How many GPUs, assigned while the workspace runs',
          choices: () => gpuChoices(gpus),
          previous: answers.gpus,
        }),
      );
    }
    case 'idle':
      return with_(
        'idleTimeout',
        await askPick({
          title,
          back,
          placeholder: 'When the workspace stops once nobody uses it',
          choices: () => idleChoices(info),
          previous: answers.idleTimeout ?? null,
        }),
      );
    case 'clone': {
      const remote = host.clone?.remote;
      if (!remote) return { ...answers, clone: null };
      const choices = cloneChoices(remote);
      return with_(
        'clone',
        await askPick({
          title,
          back,
          placeholder: 'Clone the open folder’s repository into the workspace?',
          choices: () => choices,
          previous: answers.clone === null ? null : choices[0]?.value,
        }),
      );
    }
    case 'cloneSecret':
      return with_(
        'cloneSecret',
        await askPick({
          title,
          back,
          placeholder: 'The secret holding the token or key the clone needs (values are never shown)',
          choices: () => cloneSecretChoices(answers.clone?.url ?? '', host.clone?.secrets ?? []),
          previous: answers.cloneSecret ?? null,
        }),
      );
  }
}

/**
 * The create wizard: one step after another, Back on every step after the first, each step filled
 * in with `start`'s answer (so a failed create is asked again with what was given). `note` replaces
 * the first step's prompt (why it is asked again). Undefined when the user closed it.
 */
export async function runWizard(host: WizardHost, start: Answers, note?: string): Promise<Answers | undefined> {
  let answers = { ...start };
  let index = 0;
  // The steps follow the answers: declining the clone drops its credentials step.
  for (let steps = stepsFor(host.info, host.clone, answers); index < steps.length;) {
    const id = steps[index] ?? 'name';
    const result = await ask(id, host, answers, stepTitle(host.label, steps, index), index === 0 ? note : undefined);
    if (result === undefined) return undefined;
    if (result === BACK) index = Math.max(0, index - 1);
    else {
      answers = result;
      index++;
    }
    steps = stepsFor(host.info, host.clone, answers);
  }
  if (answers.clone === null) delete answers.cloneSecret;
  return answers;
}
