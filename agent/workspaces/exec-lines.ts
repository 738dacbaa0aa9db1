import type { WorkspaceRecord } from '../state/record';
import type { ServiceDeps } from './operation';

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
