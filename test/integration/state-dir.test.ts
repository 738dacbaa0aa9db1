import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { AgentProcess, BERTH, freePort, sshPortRange } from '../support/agent-process';
import { requireDocker } from '../support/docker';
import { sshKeyPair, sshRun } from '../support/ssh';

const modeOf = async (file: string) => (await fs.stat(file)).mode & 0o777;

/**
 * Runs `berth serve` on `stateDir` expecting it to refuse to start: what it said, once it exited. An
 * agent that starts instead is killed at the deadline, which fails the test.
 */
async function refusal(stateDir: string): Promise<string> {
  const ports = sshPortRange(5);
  const args = ['serve', '--state-dir', stateDir, '--listen', `127.0.0.1:${await freePort()}`];
  const result = spawnSync(process.execPath, [BERTH, ...args, '--ports', `${ports.first}-${ports.last}`], {
    encoding: 'utf8',
    timeout: 30_000,
  });
  assert.equal(result.error, undefined, `the agent was still running after 30 s: ${result.stderr}`);
  assert.notEqual(result.status, 0, result.stderr);
  return result.stderr;
}

describe('agent: its state directory is its own', function () {
  this.timeout(120_000);
  const agents: AgentProcess[] = [];
  const start = async (stateDir?: string) => {
    const agent = await AgentProcess.start(stateDir ? { stateDir } : {});
    agents.push(agent);
    return agent;
  };
  const freshDir = () => fs.mkdtemp(path.join(os.tmpdir(), 'berth-state-dir-'));

  before(() => requireDocker());

  after(async () => {
    for (const agent of agents) await agent.destroy();
  });

  describe('permissions', () => {
    it('narrows a state directory other users can read to 0700 at start, saying so', async () => {
      const dir = await freshDir();
      await fs.chmod(dir, 0o755);
      const agent = await start(dir);
      assert.equal(await modeOf(dir), 0o700);
      assert.match(agent.log, /was mode 0755; made it 0700/);
    });

    it("writes a workspace's environment 0600, and the workspace still gets it", async () => {
      const agent = await start();
      const client = await agent.connect(agent.token('alice'));
      const key = sshKeyPair();
      await client.request('user.addKey', { key: key.publicKey });
      const { workspace } = await client.request('workspace.create', { name: 'secrets', env: { TOKEN: 's3cret' } });
      assert.equal(await modeOf(path.join(agent.stateDir, 'workspaces', workspace.id, 'env')), 0o600);
      assert.equal(sshRun(workspace, key.privateKey, 'echo "$TOKEN"').stdout, 's3cret\n');
    });

    it('narrows at start an environment file an older agent left readable', async () => {
      const agent = await start();
      const client = await agent.connect(agent.token('alice'));
      const { workspace } = await client.request('workspace.create', { name: 'older', env: { TOKEN: 'x' } });
      const env = path.join(agent.stateDir, 'workspaces', workspace.id, 'env');
      await fs.chmod(env, 0o644);
      await agent.stop();
      await agent.restart();
      assert.equal(await modeOf(env), 0o600);
    });
  });

  describe('one agent at a time', () => {
    it('refuses a second agent on the same state directory, naming the first, which goes on serving', async () => {
      const first = await start();
      const message = await refusal(first.stateDir);
      // Named by its pid and command line, which holds its --listen address.
      assert.match(message, /another Berth agent \(pid \d+: .*berth\.js serve /);
      assert.ok(message.includes(`--listen 127.0.0.1:${first.port}`), message);
      assert.ok(message.includes(first.stateDir), message);
      assert.match(message, /Stop that one first, or start this one with another --state-dir/);
      // The refused one left the lock alone.
      assert.match(await refusal(first.stateDir), /another Berth agent/);
      const client = await first.connect(first.token('alice'));
      assert.deepEqual((await client.request('workspace.list', {})).workspaces, []);
    });

    it('takes over the lock of an agent that was killed', async () => {
      const agent = await start();
      await agent.kill9();
      await agent.restart();
      assert.ok(agent.alive);
    });

    it('takes over a lock whose pid now belongs to another process (a pid reused after a crash)', async () => {
      const dir = await freshDir();
      // This test's own process: alive, but not the process that took the lock.
      await fs.writeFile(path.join(dir, 'agent.lock'), JSON.stringify({ pid: process.pid, started: '1' }));
      const agent = await start(dir);
      assert.ok(agent.alive);
    });

    it('takes over a lock whose process is gone', async () => {
      const dir = await freshDir();
      const gone = spawnSync('true').pid;
      await fs.writeFile(path.join(dir, 'agent.lock'), JSON.stringify({ pid: gone, started: null }));
      const agent = await start(dir);
      assert.ok(agent.alive);
    });
  });

  describe('its identity', () => {
    for (const [what, content] of [
      ['emptied', ''],
      ['overwritten', 'not an id\n'],
    ] as const) {
      it(`refuses to start on an ${what} agent-id, saying how to restore it, and starts once it is back`, async () => {
        const agent = await start();
        const client = await agent.connect(agent.token('alice'));
        const { workspace } = await client.request('workspace.create', { name: 'labelled' });
        await agent.stop();
        const file = path.join(agent.stateDir, 'agent-id');
        const id = (await fs.readFile(file, 'utf8')).trim();
        await fs.writeFile(file, content);
        const message = await refusal(agent.stateDir);
        assert.match(message, /agent-id (is empty|holds "not an id"), not an agent id/);
        assert.ok(message.includes(`berth-${workspace.id}`), message);
        assert.equal(await fs.readFile(file, 'utf8'), content, 'the file is left as it was');
        await fs.writeFile(file, `${id}\n`);
        await agent.restart();
        const after = await agent.connect(agent.token('alice'));
        assert.equal((await after.request('workspace.get', { name: 'labelled' })).workspace.state, 'running');
      });
    }
  });
});
