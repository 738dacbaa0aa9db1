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
import { claimOnce, execLines } from './exec-lines';
import { reportProgress, type OpContext, type ServiceDeps } from './operation';

/** The stages a start runs, in order (postAttachCommand is the attaching client's: `berth ssh`). */
const START_STAGES: LifecycleStage[] = [
  'onCreateCommand',
  'updateContentCommand',
  'postCreateCommand',
  'postStartCommand',
];

/** Lines of a failing command's output kept for the workspace's message. */
const KEPT_LINES = 3;

/** What the stages up to `waitFor` left: a failure to show (undefined: none), and the rest to run after. */
export interface LifecycleRun {
  failure?: string;
  /** Runs the stages after `waitFor` in the background; `failed` records a failure among them. */
  rest: (failed: (message: string) => void) => void;
}

const NOTHING: LifecycleRun = { rest: () => undefined };

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
    return { failure: `${cloneFailure}; the lifecycle commands after it did not run`, rest: () => undefined };
  }
  // Then the owner's dotfiles: a failure is shown, and the lifecycle commands run all the same.
  const dotfilesFailure = await installDotfiles(deps, record, ctx);
  const lifecycle = record.spec.lifecycle;
  if (!lifecycle || !START_STAGES.some((stage) => lifecycle[stage] !== undefined)) {
    return dotfilesFailure ? { failure: dotfilesFailure, rest: () => undefined } : NOTHING;
  }
  const waitFor = lifecycle.waitFor ?? 'updateContentCommand';
  const cut = waitFor === 'initializeCommand' ? 0 : START_STAGES.indexOf(waitFor) + 1;
  const runner = new StageRunner(deps, record);
  const stageFailure = await runner.stages(START_STAGES.slice(0, cut), lifecycle, ctx);
  const failure = [dotfilesFailure, stageFailure].filter(Boolean).join('; ') || undefined;
  if (stageFailure) return { failure, rest: () => undefined };
  const later = START_STAGES.slice(cut);
  return {
    ...(failure ? { failure } : {}),
    rest: (failed) => {
      // Its progress has no request left to go with: the create or start has been answered.
      void runner.stages(later, lifecycle, { requestId: null }).then((message) => message && failed(message));
    },
  };
}

class StageRunner {
  constructor(
    private readonly deps: ServiceDeps,
    private readonly record: WorkspaceRecord,
  ) {}

  /** Runs `stages` in order; the first failure ends them and is returned, in words. */
  async stages(stages: LifecycleStage[], lifecycle: Lifecycle, ctx: OpContext): Promise<string | undefined> {
    for (const stage of stages) {
      const command = lifecycle[stage];
      if (command === undefined) continue;
      try {
        if (ONCE_PER_HOME.includes(stage) && !(await claimOnce(this.deps, this.record, stage))) continue;
        const failure = await this.stage(stage, command, ctx);
        if (failure) return failure;
      } catch (err) {
        if (err instanceof BerthError && err.code === 'cancelled') throw err;
        return `${stage} could not run: ${errorMessage(err)}`;
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
      named.map(async ([label, single]) => {
        const prefix = label ? `${stage} ${label}` : stage;
        const kept: string[] = [];
        const argv = typeof single === 'string' ? ['/bin/sh', '-c', single] : single;
        const onLine = (line: string) => {
          kept.push(line);
          if (kept.length > KEPT_LINES) kept.shift();
          report(`${prefix}: ${line}`);
          this.deps.log.info(`${owner}/${name}: ${prefix}: ${line}`);
        };
        const code = await execLines(this.deps, this.record, argv, onLine, ctx.signal);
        if (ctx.signal?.aborted) throw new BerthError('cancelled', `cancelled while ${prefix} ran`);
        return code === 0
          ? undefined
          : `${prefix} failed with exit code ${code}${kept.length ? `: ${kept.join(' / ')}` : ''}`;
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
  failure: string,
  announce: () => void,
): Promise<void> {
  if (record.state !== 'running') return;
  try {
    await deps.store.change(record, (draft) => {
      draft.message = draft.message ? `${draft.message}; ${failure}` : failure;
    });
    announce();
  } catch (err) {
    deps.log.warn(`${record.owner}/${record.name}: could not record "${failure}": ${errorMessage(err)}`);
  }
}
