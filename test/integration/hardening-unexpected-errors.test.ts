import * as assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { AgentClient } from '../../client/agent-client';
import { AgentProcess, BERTH, freePort, sshPortRange } from '../support/agent-process';
import { requireDocker } from '../support/docker';
import { waitFor } from '../support/wait';

/**
 * Loaded into the agent with --require: on SIGUSR2 it throws from a timer (an uncaught exception)
 * and rejects a promise nobody awaits, the two ways a bug escapes every handler. It writes the
 * agent's pid where the test finds it.
 */
const FAULTS = `
const fs = require('node:fs');
fs.writeFileSync(process.env.BERTH_TEST_PID_FILE, String(process.pid));
process.on('SIGUSR2', () => {
  setTimeout(() => { throw new Error('berth-test: a bug nothing caught'); });
  void Promise.reject(new Error('berth-test: a promise nobody awaited'));
  // Written once the event loop has gone round after both: the agent is not stuck in them.
  setTimeout(() => fs.writeFileSync(process.env.BERTH_TEST_PID_FILE + '.after', ''), 100);
});
`;

/** Sends the agent whose pid file is `pidFile` the signal that sets off both faults. */
async function setOffFaults(pidFile: string): Promise<void> {
  process.kill(Number(await fs.readFile(pidFile, 'utf8')), 'SIGUSR2');
}

describe('hardening: the agent survives an error nothing caught', function () {
  this.timeout(120_000);
  let dir: string;
  let agent: AgentProcess;
  let client: AgentClient;

  before(async () => {
    requireDocker();
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'berth-faults-'));
    await fs.writeFile(path.join(dir, 'faults.cjs'), FAULTS);
    agent = await AgentProcess.start({
      env: { NODE_OPTIONS: `--require ${path.join(dir, 'faults.cjs')}`, BERTH_TEST_PID_FILE: path.join(dir, 'pid') },
    });
    client = await agent.connect(agent.token('alice'));
  });

  after(async () => {
    client?.close();
    await agent?.destroy();
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('logs both with their stacks, and keeps serving the connections it has', async () => {
    await setOffFaults(path.join(dir, 'pid'));
    await waitFor(
      'both errors in the log',
      () => agent.log.includes('a bug nothing caught') && agent.log.includes('a promise nobody awaited'),
    );
    assert.match(
      agent.log,
      /error uncaught exception; the agent keeps running: Error: berth-test: a bug nothing caught\n\s+at /,
    );
    assert.match(
      agent.log,
      /error unhandled promise rejection; the agent keeps running: Error: berth-test: a promise nobody awaited\n\s+at /,
    );
    assert.ok(agent.alive, `the agent exited:\n${agent.log}`);
    assert.deepEqual(await client.request('workspace.list', {}), { workspaces: [] });
    const health = await fetch(`http://127.0.0.1:${agent.port}/healthz`);
    assert.ok(health.ok);
  });

  it('goes on, and stops cleanly on SIGTERM, when its log can no longer be written (a closed pipe)', async () => {
    // As when journald restarts under a running service: every log line meets EPIPE.
    const pidFile = path.join(dir, 'pid-closed-log');
    const port = await freePort();
    const stateDir = await fs.mkdtemp(path.join(os.tmpdir(), 'berth-closed-log-'));
    const { first, last } = sshPortRange(2);
    const args = ['serve', '--state-dir', stateDir, '--listen', `127.0.0.1:${port}`, '--ports', `${first}-${last}`];
    const child = spawn(process.execPath, [BERTH, ...args], {
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { ...process.env, NODE_OPTIONS: `--require ${path.join(dir, 'faults.cjs')}`, BERTH_TEST_PID_FILE: pidFile },
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const healthy = async () => (await fetch(`http://127.0.0.1:${port}/healthz`).catch(() => null))?.ok ?? false;
    try {
      await waitFor('the agent to answer /healthz', healthy);
      child.stderr.destroy();
      await setOffFaults(pidFile);
      await waitFor('the event loop to go round after the faults', () => fs.stat(`${pidFile}.after`).then(() => true));
      assert.ok(await healthy());
      child.kill('SIGTERM');
      const code = await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 15_000, 'still running'))]);
      assert.equal(code, 0, 'the agent did not stop cleanly within 15 s of SIGTERM');
    } finally {
      child.kill('SIGKILL');
      await fs.rm(stateDir, { recursive: true, force: true });
    }
  });
});
