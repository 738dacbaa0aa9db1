import { BerthError, SECRETS_DIR, cloneFolder, type Clone } from '../../protocol';
import { errorMessage } from '../../util/log';
import type { WorkspaceRecord } from '../state/record';
import { claimOnce, execLines } from './exec-lines';
import { reportProgress, type OpContext, type ServiceDeps } from './operation';

/** Lines of a failing clone's output kept for the workspace's message. */
const KEPT_LINES = 3;

/**
 * git's arguments for `clone`: credentials from the secret file, if any, on the command line only
 * (never in the repository's `.git/config`): a credential helper that answers the token as the
 * password for HTTPS, and `core.sshCommand` with the key for SSH. An SSH host seen for the first
 * time is trusted and remembered (`accept-new`), as a person answering "yes" once would.
 */
export function cloneArgv(clone: Clone): string[] {
  const file = clone.secret ? `${SECRETS_DIR}/${clone.secret}` : null;
  const ssh = ['ssh', '-o', 'StrictHostKeyChecking=accept-new', '-o', 'BatchMode=yes'];
  const config = file
    ? [
        // An empty helper first: no helper of the image's config gets asked, or told, the token.
        '-c',
        'credential.helper=',
        '-c',
        `credential.helper=!f() { test "$1" = get || exit 0; echo username=x-access-token; printf 'password=%s\\n' "$(cat ${file})"; }; f`,
        '-c',
        `core.sshCommand=${[...ssh, '-i', file, '-o', 'IdentitiesOnly=yes'].join(' ')}`,
      ]
    : ['-c', `core.sshCommand=${ssh.join(' ')}`];
  return [
    'git',
    ...config,
    'clone',
    ...(clone.branch ? ['--branch', clone.branch] : []),
    '--',
    clone.url,
    cloneFolder(clone),
  ];
}

/**
 * Clones the workspace's repository into its home as its user: once per home at a start (`force`:
 * again, for `workspace.clone`). The failure in words, if any; a clone never fails the workspace.
 */
export async function cloneRepository(
  deps: ServiceDeps,
  record: WorkspaceRecord,
  ctx: OpContext,
  { force }: { force: boolean },
): Promise<string | undefined> {
  const clone = record.spec.clone;
  if (!clone) return undefined;
  const { owner, name } = record;
  const report = (message: string) => reportProgress(deps.bus, record, ctx, 'lifecycle', message);
  try {
    if (!(await claimOnce(deps, record, 'clone')) && !force) return undefined;
    const into = `~/${cloneFolder(clone)}`;
    report(`Cloning ${clone.url} into ${into}`);
    deps.log.info(`${owner}/${name}: cloning ${clone.url} into ${into}`);
    const kept: string[] = [];
    const code = await execLines(
      deps,
      record,
      cloneArgv(clone),
      (line) => {
        if (line.trim()) kept.push(line);
        if (kept.length > KEPT_LINES) kept.shift();
        report(`clone: ${line}`);
        deps.log.info(`${owner}/${name}: clone: ${line}`);
      },
      ctx.signal,
      // Never a prompt for a user name or password nobody can answer.
      ['GIT_TERMINAL_PROMPT=0'],
    );
    if (ctx.signal?.aborted) throw new BerthError('cancelled', 'cancelled while the repository was cloned');
    if (code === 0) {
      report('clone done');
      return undefined;
    }
    const failure = `the clone of ${clone.url} failed with exit code ${code}${kept.length ? `: ${kept.join(' / ')}` : ''}`;
    report(failure);
    deps.log.warn(`${owner}/${name}: ${failure}`);
    return failure.slice(0, 2000);
  } catch (err) {
    if (err instanceof BerthError && err.code === 'cancelled') throw err;
    return `the clone could not run: ${errorMessage(err)}`;
  }
}
