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
