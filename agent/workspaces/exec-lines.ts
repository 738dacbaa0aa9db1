import { BerthError } from '../../protocol';
import { errorMessage } from '../../util/log';
import type { WorkspaceRecord } from '../state/record';
import { reportProgress, type OpContext, type ServiceDeps } from './operation';

/** The longest line kept of a command's output: a line with no end is cut there, not held whole. */
const MAX_LINE = 16 * 1024;

/**
 * Claims a once-per-home step: exits 0 after writing its marker in the home volume (so it runs now,
 * and never again on this home, as the devcontainer spec's reference implementation does: a failed
 * one is not retried by itself), 3 when the marker is there already.
 */
const CLAIM = 'm="$1/.berth/lifecycle/$0"; [ -e "$m" ] && exit 3; mkdir -p "${m%/*}" && date -u > "$m"';

/**
 * Runs `argv` in the container as the workspace's user, in its home, with `env` besides the
 * container's; each output line to `onLine` (a line longer than {@link MAX_LINE} in pieces).
 * A cancel of `signal` kills it.
 */
export async function execLines(
  deps: Pick<ServiceDeps, 'runtime'>,
  record: WorkspaceRecord,
  argv: string[],
  onLine: (line: string) => void,
  signal?: AbortSignal,
  env: string[] = [],
): Promise<number> {
  const session = await deps.runtime.exec(record.id, {
    command: argv,
    user: record.spec.user,
    workdir: `/home/${record.spec.user}`,
    tty: false,
    stdin: false,
    ...(env.length ? { env } : {}),
  });
  const pending = { stdout: '', stderr: '' };
  session.onOutput((stream, data) => {
    const lines = (pending[stream] + data.toString('utf8')).split('\n');
    let rest = lines.pop() ?? '';
    for (const line of lines) onLine(line.replace(/\r$/, ''));
    for (; rest.length > MAX_LINE; rest = rest.slice(MAX_LINE)) onLine(rest.slice(0, MAX_LINE));
    pending[stream] = rest;
  });
  const kill = () => void session.kill();
  signal?.addEventListener('abort', kill, { once: true });
  const code = await session
    .exitCode(signal ?? new AbortController().signal)
    .finally(() => signal?.removeEventListener('abort', kill));
  for (const rest of [pending.stdout, pending.stderr]) if (rest) onLine(rest);
  return code;
}

/** Lines of a failing step's output kept for the workspace's message. */
const KEPT_LINES = 3;

/** A command run for a workspace at its start: clone, dotfiles, a lifecycle command. */
export interface Step {
  /** What its output lines are prefixed with, in progress and the log: `clone`, `postCreateCommand build`. */
  label: string;
  argv: string[];
  /** Its environment besides the container's. */
  env?: string[];
  /** The step in its failure's words: `the clone of URL` (… failed with exit code 1: …). */
  subject: string;
  /** What it was doing, for the error when cancelled: `the repository was cloned`. */
  doing: string;
}

/**
 * Runs `step` as the workspace's user ({@link execLines}): each output line goes out as progress
 * (`label: line`) and to the agent's log. Resolves to undefined when it exits 0, else to its failure
 * in words with its last non-empty output lines; throws `cancelled` when `ctx.signal` aborts it.
 */
export async function runStep(
  deps: Pick<ServiceDeps, 'runtime' | 'bus' | 'log'>,
  record: WorkspaceRecord,
  ctx: OpContext,
  step: Step,
): Promise<string | undefined> {
  const { owner, name } = record;
  const kept: string[] = [];
  const onLine = (line: string) => {
    if (line.trim()) kept.push(line);
    if (kept.length > KEPT_LINES) kept.shift();
    reportProgress(deps.bus, record, ctx, 'lifecycle', `${step.label}: ${line}`);
    deps.log.info(`${owner}/${name}: ${step.label}: ${line}`);
  };
  const code = await execLines(deps, record, step.argv, onLine, ctx.signal, step.env);
  if (ctx.signal?.aborted) throw new BerthError('cancelled', `cancelled while ${step.doing}`);
  if (code === 0) return undefined;
  return `${step.subject} failed with exit code ${code}${kept.length ? `: ${kept.join(' / ')}` : ''}`;
}

/** Whether the once-per-home step `step` is to run now (its marker was not there, and is now). */
export async function claimOnce(
  deps: Pick<ServiceDeps, 'runtime'>,
  record: WorkspaceRecord,
  step: string,
): Promise<boolean> {
  const home = `/home/${record.spec.user}`;
  const lines: string[] = [];
  const code = await execLines(deps, record, ['/bin/sh', '-c', CLAIM, step, home], (line) => lines.push(line));
  if (code === 3) return false;
  if (code !== 0) {
    throw new Error(`its marker in ${home}/.berth could not be written (${lines.at(-1) ?? `exit ${code}`})`);
  }
  return true;
}

/** A step run once per home at a start: clone on create, dotfiles. */
export interface HomeStep extends Step {
  /** Its marker's name in `~/.berth/lifecycle/`. */
  marker: string;
  /** Run even when its marker is there (`workspace.clone`: again, on request). */
  force?: boolean;
  /** What it is about to do, for progress and the log: `Cloning URL into ~/app`. */
  starting: string;
  /** The failure when it could not even run: `the clone could not run`. */
  couldNot: string;
}

/**
 * Runs `step` once per home ({@link claimOnce}; `force`: again), announced, with its output as
 * {@link runStep} gives it and its end reported. The failure in words, if any: such a step never
 * fails the workspace, so only a cancel is thrown.
 */
export async function runOncePerHome(
  deps: Pick<ServiceDeps, 'runtime' | 'bus' | 'log'>,
  record: WorkspaceRecord,
  ctx: OpContext,
  step: HomeStep,
): Promise<string | undefined> {
  const { owner, name } = record;
  const report = (message: string) => reportProgress(deps.bus, record, ctx, 'lifecycle', message);
  try {
    if (!(await claimOnce(deps, record, step.marker)) && !step.force) return undefined;
    report(step.starting);
    deps.log.info(`${owner}/${name}: ${step.starting.charAt(0).toLowerCase()}${step.starting.slice(1)}`);
    const failure = await runStep(deps, record, ctx, step);
    if (!failure) {
      report(`${step.label} done`);
      return undefined;
    }
    report(failure);
    deps.log.warn(`${owner}/${name}: ${failure}`);
    return failure.slice(0, 2000);
  } catch (err) {
    if (err instanceof BerthError && err.code === 'cancelled') throw err;
    return `${step.couldNot}: ${errorMessage(err)}`;
  }
}
