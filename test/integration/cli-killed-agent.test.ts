import * as assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { cliEnv, startBerth } from '../support/cli';
import { useAgent } from '../support/use-agent';
import { waitFor } from '../support/wait';

// A command whose agent dies under it fails, saying so: it never exits 0 without its result.

describe('cli: an agent killed in the middle of a request', function () {
  this.timeout(180_000);
  const agent = useAgent();
  let env: NodeJS.ProcessEnv;
  let dir = '';

  before(async () => {
    env = cliEnv(agent.url, agent.token('alice'));
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'berth-killed-'));
  });
  after(() => fs.rm(dir, { recursive: true, force: true }));

  /** Runs `args`, kills the agent once stderr shows `stage`, and returns how the command ended. */
  const killedAt = async (args: string[], stage: string) => {
    const run = startBerth(args, env);
    await waitFor(`"${stage}"`, () => run.stderr().includes(stage), 60_000);
    await agent.kill9();
    const exit = await run.exited;
    await agent.restart();
    return { ...exit, stderr: run.stderr() };
  };

  it('berth create fails with the dropped connection', async () => {
    const exit = await killedAt(['create', 'box', '--memory', '256m', '--cpus', '0.5'], 'Creating container');
    assert.equal(exit.code, 1, exit.stderr);
    assert.match(
      exit.stderr,
      /berth create: the connection to the agent closed \(1006\)|internal error: the command ended without a result/,
    );
  });

  it('berth backup fails with the dropped connection while it starts the workspace again, and keeps no file', async () => {
    const start = startBerth(['start', 'box'], env);
    assert.equal((await start.exited).code, 0, start.stderr());
    const file = path.join(dir, 'box.berth');
    const exit = await killedAt(['backup', 'box', '-o', file], 'Waiting for sshd');
    assert.equal(exit.code, 1, exit.stderr);
    assert.match(
      exit.stderr,
      /the connection to the agent closed \(1006\)|internal error: the command ended without a result/,
    );
    await assert.rejects(fs.stat(file));
  });
});
