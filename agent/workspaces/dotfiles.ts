import type { WorkspaceRecord } from '../state/record';
import { runOncePerHome } from './exec-lines';
import type { OpContext, ServiceDeps } from './operation';

/**
 * Installs dotfiles the way Codespaces does: the repository `$0` cloned into `$1/.dotfiles`, then
 * the first of its install scripts that exists is run there; without one, every file or folder of
 * it whose name starts with "." is linked into the home (one the home has already, not a link, is
 * kept and said so).
 */
const INSTALL = `d="$1/.dotfiles"
if [ ! -d "$d/.git" ]; then
  git -c core.sshCommand='ssh -o StrictHostKeyChecking=accept-new -o BatchMode=yes' clone -- "$0" "$d" || exit $?
fi
cd "$d" || exit 1
for f in install.sh install bootstrap.sh bootstrap setup.sh setup; do
  if [ -f "$f" ]; then echo "running $f"; chmod +x "$f"; exec "./$f"; fi
done
for f in .[!.]* ..?*; do
  [ -e "$f" ] || continue
  case "$f" in .git|.gitignore|.gitmodules|.github) continue;; esac
  if [ -e "$1/$f" ] && [ ! -L "$1/$f" ]; then echo "kept ~/$f (it is there already)"; continue; fi
  ln -sfn "$d/$f" "$1/$f" && echo "linked ~/$f"
done`;

/**
 * Installs the owner's dotfiles (`berth config set dotfiles URL`) in the workspace, as its user,
 * once per home. The failure in words, if any: it is shown, never fatal.
 */
export async function installDotfiles(
  deps: ServiceDeps,
  record: WorkspaceRecord,
  ctx: OpContext,
): Promise<string | undefined> {
  const url = deps.settings?.get(record.owner).dotfiles;
  if (!url) return undefined;
  return runOncePerHome(deps, record, ctx, {
    marker: 'dotfiles',
    starting: `Installing dotfiles from ${url}`,
    label: 'dotfiles',
    argv: ['/bin/sh', '-c', INSTALL, url, `/home/${record.spec.user}`],
    env: ['GIT_TERMINAL_PROMPT=0'],
    subject: `the dotfiles from ${url}`,
    doing: 'the dotfiles were installed',
    couldNot: 'the dotfiles could not be installed',
  });
}
