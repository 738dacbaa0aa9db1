import * as assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { waitFor } from '../support/wait';

/** berth-init's `nest_cgroup2` function, as the file has it (nothing else of the script runs). */
function nestFunction(): string {
  const script = readFileSync(path.join(__dirname, '../../agent/image/berth-init'), 'utf8');
  const found = /^nest_cgroup2\(\) \{\n[\s\S]*?\n\}\n/m.exec(script);
  if (!found) throw new Error('berth-init has no nest_cgroup2 function');
  return found[0];
}

/** Runs `nest_cgroup2 ROOT` with sh (dash, as in the workspace image); its exit code and stderr. */
function nest(root: string): { code: number | null; stderr: string } {
  const result = spawnSync('sh', ['-c', `${nestFunction()}nest_cgroup2 "$1"`, 'sh', root], { encoding: 'utf8' });
  return { code: result.status, stderr: result.stderr };
}

/** A cgroup v2 hierarchy this machine has mounted (the whole tree on v2, `unified` on a hybrid v1), or null. */
function cgroup2Mount(): string | null {
  for (const line of readFileSync('/proc/self/mounts', 'utf8').split('\n')) {
    const [, where, type] = line.split(' ');
    if (type === 'cgroup2' && where) return where;
  }
  return null;
}

const lines = (file: string) => readFileSync(file, 'utf8').split('\n').filter(Boolean);

describe('berth-init: nesting on cgroup v2 (Docker-in-Docker)', () => {
  it('moves the processes of a real cgroup v2 root into init and leaves none in it', async function () {
    const mount = cgroup2Mount();
    if (!mount) return this.skip(); // no cgroup2 hierarchy on this machine at all
    // A cgroup of the test's own stands for the workspace's (never this machine's root).
    const root = path.join(mount, `berth-test-nest-${process.pid}`);
    mkdirSync(root);
    let sleeper: ChildProcess | undefined;
    try {
      sleeper = spawn('sleep', ['300'], { stdio: 'ignore' });
      const pid = String(sleeper.pid);
      writeFileSync(path.join(root, 'cgroup.procs'), `${pid}\n`);
      await waitFor('the sleeper to be in the test cgroup', () => lines(path.join(root, 'cgroup.procs')).includes(pid));

      const ran = nest(root);
      assert.equal(ran.code, 0, ran.stderr);
      assert.deepEqual(lines(path.join(root, 'cgroup.procs')), [], 'processes are left in the root');
      assert.deepEqual(lines(path.join(root, 'init', 'cgroup.procs')), [pid]);
      // Every controller the root has is now given to its children (none on a hybrid v1 host).
      const controllers = readFileSync(path.join(root, 'cgroup.controllers'), 'utf8').split(/\s+/).filter(Boolean);
      const enabled = readFileSync(path.join(root, 'cgroup.subtree_control'), 'utf8').split(/\s+/).filter(Boolean);
      assert.deepEqual(enabled.sort(), controllers.sort());
    } finally {
      // Back to the hierarchy's root and ended, so the test's cgroups can go.
      if (sleeper?.pid) writeFileSync(path.join(mount, 'cgroup.procs'), `${sleeper.pid}\n`);
      sleeper?.kill('SIGKILL');
      for (const dir of [path.join(root, 'init'), root]) if (existsSync(dir)) rmdirSync(dir);
    }
  });

  it('enables every controller the root has in its subtree_control (a folder laid out like one)', () => {
    const root = mkdtempSync(path.join(os.tmpdir(), 'berth-cgroup2-'));
    try {
      writeFileSync(path.join(root, 'cgroup.controllers'), 'cpuset cpu io memory hugetlb pids rdma misc\n');
      writeFileSync(path.join(root, 'cgroup.procs'), '');
      writeFileSync(path.join(root, 'cgroup.subtree_control'), '');
      const ran = nest(root);
      assert.equal(ran.code, 0, ran.stderr);
      assert.equal(
        readFileSync(path.join(root, 'cgroup.subtree_control'), 'utf8'),
        '+cpuset +cpu +io +memory +hugetlb +pids +rdma +misc\n',
      );
      assert.ok(existsSync(path.join(root, 'init')), 'no init cgroup made');
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('fails when the root cannot be written, instead of starting dockerd half nested', () => {
    const ran = nest(path.join(os.tmpdir(), `berth-no-such-cgroup-${process.pid}`));
    assert.notEqual(ran.code, 0);
  });
});
