import * as assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { HostSignals, cpuAccountingFile, establishedTo, sshConnections } from '../../../../agent/idle/signals';

// Lines in the kernel's format (Documentation/networking/proc_net_tcp.rst): 0016 is port 22.
const TCP = `  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000:0016 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1 1 0000000000000000 100 0 0 10 0
   1: 030011AC:0016 010011AC:B1F2 01 00000000:00000000 02:00096EDB 00000000     0        0 2 2 0000000000000000 20 4 30 10 -1
   2: 030011AC:0016 010011AC:B1F4 06 00000000:00000000 03:00001526 00000000     0        0 0 3 0000000000000000
   3: 030011AC:8A3E 0A00A8C0:0016 01 00000000:00000000 00:00000000 00000000  1000        0 4 1 0000000000000000 20 4 30 10 -1
`;

/** A fake /proc with one container whose main process is `comm`, with the given children. */
function fakeProc(comm: string, children: Record<string, string>): string {
  const root = mkdtempSync(path.join(os.tmpdir(), 'berth-proc-'));
  mkdirSync(path.join(root, '100', 'task', '100'), { recursive: true });
  mkdirSync(path.join(root, '100', 'net'));
  writeFileSync(path.join(root, '100', 'comm'), `${comm}\n`);
  writeFileSync(path.join(root, '100', 'task', '100', 'children'), `${Object.keys(children).join(' ')} `);
  writeFileSync(path.join(root, '100', 'net', 'tcp'), TCP);
  for (const [pid, name] of Object.entries(children)) {
    mkdirSync(path.join(root, pid));
    writeFileSync(path.join(root, pid, 'comm'), `${name}\n`);
  }
  return root;
}

describe('idle signals: SSH connections', () => {
  it('counts only ESTABLISHED connections whose local port is 22', () => {
    assert.deepEqual(establishedTo(TCP), ['030011AC:0016->010011AC:B1F2']);
  });

  it("counts an sshd main process's per-connection children, not its other children", async () => {
    const root = fakeProc('sshd', { '201': 'sshd', '202': 'sshd-session', '203': 'su' });
    assert.deepEqual([...(await sshConnections(100, root))].sort(), ['sshd:201', 'sshd:202']);
  });

  it('falls back to the TCP tables when the main process is not sshd', async () => {
    const root = fakeProc('sleep', { '201': 'sshd' });
    assert.deepEqual([...(await sshConnections(100, root))], ['030011AC:0016->010011AC:B1F2']);
  });

  it('counts a connection only once it was seen in two samples in a row (a readiness probe is shorter)', async () => {
    const root = fakeProc('sshd', { '201': 'sshd' });
    writeFileSync(path.join(root, '100', 'cgroup'), '0::/\n');
    const signals = new HostSignals(root, root);
    assert.equal((await signals.sample('w', 100, 1000)).attached, 0);
    assert.equal((await signals.sample('w', 100, 2000)).attached, 1);
  });

  it('starts afresh for workspaces it was told to drop (stopped or deleted), keeps the rest', async () => {
    const root = fakeProc('sshd', { '201': 'sshd' });
    writeFileSync(path.join(root, '100', 'cgroup'), '0::/\n');
    const signals = new HostSignals(root, root);
    await signals.sample('kept', 100, 1000);
    await signals.sample('gone', 100, 1000);
    signals.retain(new Set(['kept']));
    assert.equal((await signals.sample('kept', 100, 2000)).attached, 1);
    assert.equal((await signals.sample('gone', 100, 2000)).attached, 0);
  });
});

describe('idle signals: CPU accounting', () => {
  it('finds cgroup v2 cpu.stat (systemd driver path) and v1 cpuacct.usage (cgroupfs path)', async () => {
    const root = mkdtempSync(path.join(os.tmpdir(), 'berth-cg-'));
    mkdirSync(path.join(root, 'proc', '7'), { recursive: true });
    writeFileSync(path.join(root, 'proc', '7', 'cgroup'), '0::/system.slice/docker-abc.scope\n');
    mkdirSync(path.join(root, 'cg', 'system.slice', 'docker-abc.scope'), { recursive: true });
    writeFileSync(
      path.join(root, 'cg', 'system.slice', 'docker-abc.scope', 'cpu.stat'),
      'usage_usec 1234\nuser_usec 1000\n',
    );
    assert.deepEqual(await cpuAccountingFile(7, path.join(root, 'proc'), path.join(root, 'cg')), {
      file: path.join(root, 'cg', 'system.slice', 'docker-abc.scope', 'cpu.stat'),
      unit: 'usec',
    });
    writeFileSync(path.join(root, 'proc', '7', 'cgroup'), '3:cpu,cpuacct:/docker/abc\n0::/docker/abc\n');
    mkdirSync(path.join(root, 'cg', 'cpu,cpuacct', 'docker', 'abc'), { recursive: true });
    writeFileSync(path.join(root, 'cg', 'cpu,cpuacct', 'docker', 'abc', 'cpuacct.usage'), '5000000\n');
    assert.deepEqual(await cpuAccountingFile(7, path.join(root, 'proc'), path.join(root, 'cg')), {
      file: path.join(root, 'cg', 'cpu,cpuacct', 'docker', 'abc', 'cpuacct.usage'),
      unit: 'nsec',
    });
  });

  it('reads a nested Docker-in-Docker workspace (main process in init) at its own cgroup, inner containers included', async () => {
    const root = mkdtempSync(path.join(os.tmpdir(), 'berth-cg-'));
    mkdirSync(path.join(root, 'proc', '7'), { recursive: true });
    writeFileSync(path.join(root, 'proc', '7', 'cgroup'), '0::/system.slice/docker-abc.scope/init\n');
    for (const dir of ['docker-abc.scope', 'docker-abc.scope/init']) {
      mkdirSync(path.join(root, 'cg', 'system.slice', dir), { recursive: true });
      writeFileSync(path.join(root, 'cg', 'system.slice', dir, 'cpu.stat'), 'usage_usec 1\n');
    }
    assert.deepEqual(await cpuAccountingFile(7, path.join(root, 'proc'), path.join(root, 'cg')), {
      file: path.join(root, 'cg', 'system.slice', 'docker-abc.scope', 'cpu.stat'),
      unit: 'usec',
    });
  });

  it('accepts an accounting file that reads 0 (a fresh cgroup), and finds none when no file is readable', async () => {
    const root = mkdtempSync(path.join(os.tmpdir(), 'berth-cg-'));
    mkdirSync(path.join(root, 'proc', '7'), { recursive: true });
    writeFileSync(path.join(root, 'proc', '7', 'cgroup'), '0::/docker/abc\n');
    assert.equal(await cpuAccountingFile(7, path.join(root, 'proc'), path.join(root, 'cg')), null);
    mkdirSync(path.join(root, 'cg', 'docker', 'abc'), { recursive: true });
    writeFileSync(path.join(root, 'cg', 'docker', 'abc', 'cpu.stat'), 'usage_usec 0\n');
    assert.deepEqual(await cpuAccountingFile(7, path.join(root, 'proc'), path.join(root, 'cg')), {
      file: path.join(root, 'cg', 'docker', 'abc', 'cpu.stat'),
      unit: 'usec',
    });
  });
});
