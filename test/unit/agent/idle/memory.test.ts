import * as assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { memoryInUse } from '../../../../agent/idle/memory';

/** A fake /proc and /sys/fs/cgroup: process 100 in `cgroupLines`, with `files` under the cgroup root. */
function fakeHost(cgroupLines: string, files: Record<string, string>): { proc: string; cgroup: string } {
  const root = mkdtempSync(path.join(os.tmpdir(), 'berth-mem-'));
  const proc = path.join(root, 'proc');
  const cgroup = path.join(root, 'cgroup');
  mkdirSync(path.join(proc, '100'), { recursive: true });
  writeFileSync(path.join(proc, '100', 'cgroup'), cgroupLines);
  for (const [file, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(cgroup, file)), { recursive: true });
    writeFileSync(path.join(cgroup, file), text);
  }
  return { proc, cgroup };
}

describe('idle signals: memory in use', () => {
  it('reads cgroup v2 memory.current less the inactive page cache', async () => {
    const { proc, cgroup } = fakeHost('0::/system.slice/docker-abc.scope\n', {
      'system.slice/docker-abc.scope/memory.current': '104857600\n',
      'system.slice/docker-abc.scope/memory.stat': 'anon 1\ninactive_file 4857600\nactive_file 9\n',
    });
    assert.equal(await memoryInUse(100, proc, cgroup), 100_000_000);
  });

  it('counts a nested Docker-in-Docker workspace (its processes in init) at its own cgroup, inner containers included', async () => {
    const { proc, cgroup } = fakeHost('0::/system.slice/docker-abc.scope/init\n', {
      'system.slice/docker-abc.scope/memory.current': '9000\n',
      'system.slice/docker-abc.scope/memory.stat': 'inactive_file 1000\n',
      'system.slice/docker-abc.scope/init/memory.current': '10\n',
      'system.slice/docker-abc.scope/init/memory.stat': 'inactive_file 0\n',
    });
    assert.equal(await memoryInUse(100, proc, cgroup), 8000);
  });

  it('reads the cgroup v1 memory hierarchy when the host has one', async () => {
    const { proc, cgroup } = fakeHost('4:memory:/docker/abc\n3:cpuacct:/docker/abc\n0::/\n', {
      'memory/docker/abc/memory.usage_in_bytes': '2000\n',
      'memory/docker/abc/memory.stat': 'cache 5\ntotal_inactive_file 500\n',
    });
    assert.equal(await memoryInUse(100, proc, cgroup), 1500);
  });

  it('is null when no accounting is readable or the process is gone', async () => {
    const { proc, cgroup } = fakeHost('0::/gone\n', {});
    assert.equal(await memoryInUse(100, proc, cgroup), null);
    assert.equal(await memoryInUse(999, proc, cgroup), null);
  });
});
