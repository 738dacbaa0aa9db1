import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const ROOT = path.resolve(__dirname, '..', '..');

/**
 * `dist/berth.js` as built from `commit` of this repository's history (an earlier release's agent,
 * to test that today's client still works with it): the commit checked out in a worktree of its own
 * (this checkout's node_modules linked in) and built with its own esbuild.mjs. `remove()` takes the
 * worktree away again.
 */
export function olderBerth(commit: string): { berth: string; remove: () => void } {
  const dir = path.join(mkdtempSync(path.join(os.tmpdir(), 'berth-older-')), 'tree');
  const git = (...args: string[]) => execFileSync('git', ['-C', ROOT, ...args], { stdio: 'pipe' });
  git('worktree', 'add', '--detach', dir, commit);
  const remove = () => {
    try {
      git('worktree', 'remove', '--force', dir);
    } finally {
      rmSync(path.dirname(dir), { recursive: true, force: true });
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
