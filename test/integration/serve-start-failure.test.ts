import * as assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs/promises';
import type * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { BERTH, freePort, sshPortRange } from '../support/agent-process';
import { requireDocker } from '../support/docker';
import { holdPort, release } from '../support/net';

describe('berth serve: a failed start', function () {
  this.timeout(60_000);
  let held: net.Server | undefined;
  let stateDir = '';
  let child: ChildProcess | undefined;

  before(async () => {
    requireDocker();
    stateDir = await fs.mkdtemp(path.join(os.tmpdir(), 'berth-test-'));
  });

  after(async () => {
    if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    if (held) await release(held);
    await fs.rm(stateDir, { recursive: true, force: true });
  });

  it('exits non-zero with the reason when its address is taken, with nothing left running', async () => {
    const port = await freePort();
    held = await holdPort(port);
    const ports = sshPortRange(20);
    child = spawn(
      process.execPath,
      [
        BERTH,
        'serve',
        '--listen',
        `127.0.0.1:${port}`,
        '--state-dir',
        stateDir,
        '--ports',
        `${ports.first}-${ports.last}`,
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let stderr = '';
    const started = child;
    started.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    // Waits on the exit itself: an agent that stays alive half-built fails this test by its timeout.
    const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) =>
      started.once('exit', (exitCode, exitSignal) => resolve([exitCode, exitSignal])),
    );
    assert.equal(signal, null, stderr);
    assert.notEqual(code, 0, stderr);
    assert.match(stderr, /EADDRINUSE|address already in use/i);
    assert.match(stderr, new RegExp(`127\\.0\\.0\\.1:${port}`));
  });
});
