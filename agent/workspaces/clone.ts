import { SECRETS_DIR, cloneFolder, type Clone } from '../../protocol';
import type { WorkspaceRecord } from '../state/record';
import { runOncePerHome } from './exec-lines';
import type { OpContext, ServiceDeps } from './operation';

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
  const into = `~/${cloneFolder(clone)}`;
  return runOncePerHome(deps, record, ctx, {
    marker: 'clone',
    force,
    starting: `Cloning ${clone.url} into ${into}`,
    label: 'clone',
    argv: cloneArgv(clone),
    // Never a prompt for a user name or password nobody can answer.
    env: ['GIT_TERMINAL_PROMPT=0'],
    subject: `the clone of ${clone.url}`,
    doing: 'the repository was cloned',
    couldNot: 'the clone could not run',
  });
}

/**
 * A workspace's message once its repository was cloned again: without the clone failure's part,
 * other parts (such as "started without GPUs…", joined before it at the start) kept. Undefined
 * when nothing is left; null when the message holds no clone failure to drop. The clone's part is
 * the last one: nothing runs after a failed clone.
 */
export function withoutCloneFailure(message: string, url: string): string | undefined | null {
  const starts = [`the clone of ${url} failed`, 'the clone could not run: '];
  let at = 0;
  for (;;) {
    if (starts.some((start) => message.startsWith(start, at))) return at === 0 ? undefined : message.slice(0, at - 2);
    const next = message.indexOf('; ', at);
    if (next < 0) return null;
    at = next + 2;
  }
}

/**
 * What a successful re-clone leaves of `record`'s message: `{ message }` to save (undefined: none),
 * or null to leave the record as it is. A record from before `failedStage` (a failed clone with no
 * stage) is matched by its message instead.
 */
export function messageAfterReclone(
  record: Pick<WorkspaceRecord, 'message' | 'failedStage'>,
  url: string,
): { message: string | undefined } | null {
  if (record.failedStage !== undefined && record.failedStage !== 'clone') return null;
  const rest = record.message === undefined ? null : withoutCloneFailure(record.message, url);
  if (rest !== null) return { message: rest };
  // A failed clone whose message is none of the clone's words: the message was its, all of it.
  return record.failedStage === 'clone' ? { message: undefined } : null;
}
