import {
  BerthError,
  ONCE_PER_HOME,
  type Lifecycle,
  type LifecycleCommand,
  type LifecycleStage,
  type SingleCommand,
} from '../../protocol';
import { errorMessage } from '../../util/log';
import type { WorkspaceRecord } from '../state/record';
import { cloneRepository } from './clone';
import { installDotfiles } from './dotfiles';
import { claimOnce, runStep } from './exec-lines';
import { reportProgress, type OpContext, type ServiceDeps } from './operation';

/** The stages a start runs, in order (postAttachCommand is the attaching client's: `berth ssh`). */
const START_STAGES: LifecycleStage[] = [
  'onCreateCommand',
  'updateContentCommand',
  'postCreateCommand',
  'postStartCommand',
];

/** A step of a start that may fail without failing the workspace: clone, dotfiles, a lifecycle stage. */
export type StartStep = NonNullable<WorkspaceRecord['failedStage']>;

/** A step's failure: which step, and what happened in words. */
export interface StepFailure {
  stage: StartStep;
  message: string;
}

/** What the stages up to `waitFor` left: a failure to show (undefined: none), and the rest to run after. */
export interface LifecycleRun {
  failure?: string;
  /** The first step that failed (the clone's failure is the only one: nothing runs after it). */
  failedStage?: StartStep;
  /** Runs the stages after `waitFor` in the background; `failed` records a failure among them. */
  rest: (failed: (failure: StepFailure) => void) => void;
}

const NO_REST: LifecycleRun['rest'] = () => undefined;

/** The run that `failures` (in order, some undefined) make, with `rest` after them. */
function ran(failures: (StepFailure | undefined)[], rest: LifecycleRun['rest'] = NO_REST): LifecycleRun {
  const failed = failures.filter((f): f is StepFailure => f !== undefined);
  if (!failed[0]) return { rest };
  return { failure: failed.map((f) => f.message).join('; '), failedStage: failed[0].stage, rest };
}

/**
 * Runs `record`'s lifecycle commands for a start (sshd is ready): onCreate, updateContent and
 * postCreate once per home, postStart every time, each as the workspace's user in its home through
 * Docker's exec. Stages up to `waitFor` (default updateContentCommand) are awaited, the others
 * left to {@link LifecycleRun.rest}. A failing command stops the stages after it and is reported,
 * never thrown: the workspace stays. Output lines go out as progress and to the agent's log.
 */
export async function runLifecycle(deps: ServiceDeps, record: WorkspaceRecord, ctx: OpContext): Promise<LifecycleRun> {
  // The repository comes first: the devcontainer's commands may build what it holds.
  const cloneFailure = record.spec.clone ? await cloneRepository(deps, record, ctx, { force: false }) : undefined;
  if (cloneFailure) {
    return ran([{ stage: 'clone', message: `${cloneFailure}; the lifecycle commands after it did not run` }]);
  }
  // Then the owner's dotfiles: a failure is shown, and the lifecycle commands run all the same.
  const dotfilesMessage = await installDotfiles(deps, record, ctx);
  const dotfiles: StepFailure | undefined = dotfilesMessage
    ? { stage: 'dotfiles', message: dotfilesMessage }
    : undefined;
  const lifecycle = record.spec.lifecycle;
  if (!lifecycle || !START_STAGES.some((stage) => lifecycle[stage] !== undefined)) return ran([dotfiles]);
  const waitFor = lifecycle.waitFor ?? 'updateContentCommand';
  const cut = waitFor === 'initializeCommand' ? 0 : START_STAGES.indexOf(waitFor) + 1;
  const runner = new StageRunner(deps, record);
  const stageFailure = await runner.stages(START_STAGES.slice(0, cut), lifecycle, ctx);
  if (stageFailure) return ran([dotfiles, stageFailure]);
  const later = START_STAGES.slice(cut);
  return ran([dotfiles], (failed) => {
    // Its progress has no request left to go with: the create or start has been answered.
    void runner.stages(later, lifecycle, { requestId: null }).then((failure) => failure && failed(failure));
  });
}

class StageRunner {
  constructor(
    private readonly deps: ServiceDeps,
    private readonly record: WorkspaceRecord,
  ) {}

  /** Runs `stages` in order; the first failure ends them and is returned. */
  async stages(stages: LifecycleStage[], lifecycle: Lifecycle, ctx: OpContext): Promise<StepFailure | undefined> {
    for (const stage of stages) {
      const command = lifecycle[stage];
      if (command === undefined) continue;
      try {
        if (ONCE_PER_HOME.includes(stage) && !(await claimOnce(this.deps, this.record, stage))) continue;
        const failure = await this.stage(stage, command, ctx);
        if (failure) return { stage, message: failure };
      } catch (err) {
        if (err instanceof BerthError && err.code === 'cancelled') throw err;
        return { stage, message: `${stage} could not run: ${errorMessage(err)}` };
      }
    }
    return undefined;
  }

  /** Runs one stage: a single command, or named commands in parallel; the failure in words, if any. */
  private async stage(stage: LifecycleStage, command: LifecycleCommand, ctx: OpContext): Promise<string | undefined> {
    const { owner, name } = this.record;
    const report = (message: string) => reportProgress(this.deps.bus, this.record, ctx, 'lifecycle', message);
    report(`Running ${stage}`);
    this.deps.log.info(`${owner}/${name}: running ${stage}`);
    const named: [string | null, SingleCommand][] =
      typeof command === 'string' || Array.isArray(command) ? [[null, command]] : Object.entries(command);
    const results = await Promise.all(
      named.map(([label, single]) => {
        const prefix = label ? `${stage} ${label}` : stage;
        const argv = typeof single === 'string' ? ['/bin/sh', '-c', single] : single;
        return runStep(this.deps, this.record, ctx, { label: prefix, argv, subject: prefix, doing: `${prefix} ran` });
      }),
    );
    const failures = results.filter((result): result is string => result !== undefined);
    if (!failures.length) {
      report(`${stage} done`);
      return undefined;
    }
    const failure = `${failures.join('; ').slice(0, 2000)}; the lifecycle commands after it did not run`;
    report(failure);
    this.deps.log.warn(`${owner}/${name}: ${failure}`);
    return failure;
  }
}

/**
 * Records a failure of a stage run after the start was answered as the workspace's message, when it
 * still runs (a stop meanwhile has its own story); `announce` tells the clients.
 */
export async function noteLifecycleFailure(
  deps: ServiceDeps,
  record: WorkspaceRecord,
  { stage, message }: StepFailure,
  announce: () => void,
): Promise<void> {
  if (record.state !== 'running') return;
  try {
    await deps.store.change(record, (draft) => {
      draft.message = draft.message ? `${draft.message}; ${message}` : message;
      draft.failedStage ??= stage;
    });
    announce();
  } catch (err) {
    deps.log.warn(`${record.owner}/${record.name}: could not record "${message}": ${errorMessage(err)}`);
  }
}
