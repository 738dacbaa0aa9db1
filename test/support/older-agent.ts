import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const ROOT = path.resolve(__dirname, '..', '..');

const git = (...args: string[]) => execFileSync('git', ['-C', ROOT, ...args], { stdio: 'pipe' });

/**
 * Why `commit` cannot be built here (undefined: it can): a shallow clone (as CI may make) lacks the
 * history it lies in.
 */
export function olderCommitMissing(commit: string): string | undefined {
  const found = spawnSync('git', ['-C', ROOT, 'cat-file', '-e', `${commit}^{commit}`], { stdio: 'ignore' });
  if (found.status === 0) return undefined;
  return `this clone lacks the history that holds commit ${commit} (a shallow clone, as CI may make); fetch it (git fetch --unshallow) to run this test`;
}

/**
 * `dist/berth.js` as built from `commit` of this repository's history (an earlier release's agent,
 * to test that today's client still works with it): the commit checked out in a worktree of its own
 * (this checkout's node_modules linked in) and built with its own esbuild.mjs. `remove()` takes the
 * worktree away again. Worktrees whose folders are gone (an earlier run killed before its
 * `remove()`) are pruned first, so that they do not stand in the way. Check
 * {@link olderCommitMissing} first: a commit this clone lacks throws here.
 */
export function olderBerth(commit: string): { berth: string; remove: () => void } {
  const dir = path.join(mkdtempSync(path.join(os.tmpdir(), 'berth-older-')), 'tree');
  git('worktree', 'prune');
  git('worktree', 'add', '--detach', dir, commit);
  const remove = () => {
    try {
      git('worktree', 'remove', '--force', dir);
    } finally {
      rmSync(path.dirname(dir), { recursive: true, force: true });
      git('worktree', 'prune');
    }
  };
  try {
    symlinkSync(path.join(ROOT, 'node_modules'), path.join(dir, 'node_modules'));
    execFileSync(process.execPath, ['esbuild.mjs'], { cwd: dir, stdio: 'pipe' });
    const berth = path.join(dir, 'dist', 'berth.js');
    if (!existsSync(berth)) throw new Error(`building ${commit} made no dist/berth.js`);
    return { berth, remove };
  } catch (err) {
    remove();
    throw err;
  }
}
