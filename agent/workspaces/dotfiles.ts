import { BerthError } from '../../protocol';
import { errorMessage } from '../../util/log';
import type { WorkspaceRecord } from '../state/record';
import { claimOnce, execLines } from './exec-lines';
import { reportProgress, type OpContext, type ServiceDeps } from './operation';

/** Lines of a failing install's output kept for the workspace's message. */
const KEPT_LINES = 3;

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
  const { owner, name } = record;
  const report = (message: string) => reportProgress(deps.bus, record, ctx, 'lifecycle', message);
  try {
    if (!(await claimOnce(deps, record, 'dotfiles'))) return undefined;
    report(`Installing dotfiles from ${url}`);
    deps.log.info(`${owner}/${name}: installing dotfiles from ${url}`);
    const kept: string[] = [];
    const code = await execLines(
      deps,
      record,
      ['/bin/sh', '-c', INSTALL, url, `/home/${record.spec.user}`],
      (line) => {
        if (line.trim()) kept.push(line);
        if (kept.length > KEPT_LINES) kept.shift();
        report(`dotfiles: ${line}`);
        deps.log.info(`${owner}/${name}: dotfiles: ${line}`);
      },
      ctx.signal,
      ['GIT_TERMINAL_PROMPT=0'],
    );
    if (ctx.signal?.aborted) throw new BerthError('cancelled', 'cancelled while the dotfiles were installed');
    if (code === 0) {
      report('dotfiles done');
      return undefined;
    }
    const failure = `the dotfiles from ${url} failed with exit code ${code}${kept.length ? `: ${kept.join(' / ')}` : ''}`;
    report(failure);
    deps.log.warn(`${owner}/${name}: ${failure}`);
    return failure.slice(0, 2000);
  } catch (err) {
    if (err instanceof BerthError && err.code === 'cancelled') throw err;
    return `the dotfiles could not be installed: ${errorMessage(err)}`;
  }
}
