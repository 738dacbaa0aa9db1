import * as assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import { berth } from '../support/agent-process';
import { cliEnv } from '../support/cli';
import { docker, dockerBuild } from '../support/docker';
import { useAgent } from '../support/use-agent';

type Run = ReturnType<typeof berth>;

/** Asserts success and returns stdout. */
function succeeds(run: Run): string {
  assert.equal(run.code, 0, `exit code ${run.code}; stderr:\n${run.stderr}`);
  return run.stdout;
}

describe('cli: restart, and repairing a failed workspace with update', function () {
  this.timeout(120_000);
  const agent = useAgent();
  let env: NodeJS.ProcessEnv;
  const as = (args: string[]) => berth(args, env);
  // An image the workspace cannot run in: no sshd.
  const broken = 'berth-workspace:cli-lifecycle-no-sshd';

  before(() => {
    dockerBuild(broken, 'FROM berth-workspace:latest\nRUN rm -f /usr/sbin/sshd /usr/bin/apt-get\n');
    env = cliEnv(agent.url, agent.token('alice'));
  });

  after(async () => {
    docker('rmi', '-f', broken);
    if (env?.HOME) await fs.rm(env.HOME, { recursive: true, force: true });
  });

  it('berth restart stops and starts a workspace, with progress, and says it runs', () => {
    succeeds(as(['create', 'web', '--memory', '256m', '--cpus', '0.5']));
    const run = as(['restart', 'web']);
    assert.match(succeeds(run), /^web: running/);
    assert.match(run.stderr, /Stopping the container/);
    assert.match(run.stderr, /Waiting for sshd/);
  });

  it('an update that gives a failed workspace a new image clears the stale failure and says how to start it', () => {
    const failed = as(['update', 'web', '--image', broken]);
    assert.notEqual(failed.code, 0, 'the update to an image without sshd fails');
    const [before] = JSON.parse(succeeds(as(['ls', '--json']))) as { state: string; message?: string }[];
    assert.equal(before?.state, 'failed');
    assert.ok(before?.message, 'the failure has a reason');

    const stdout = succeeds(as(['update', 'web', '--image', 'berth-workspace:latest']));
    assert.match(stdout, /^web: stopped\n/, 'no stale failure reason');
    assert.match(stdout, /Start it with the new spec: berth start web/);
    const [after] = JSON.parse(succeeds(as(['ls', '--json']))) as { state: string; message?: string }[];
    assert.equal(after?.state, 'stopped');
    assert.equal(after?.message, undefined);
    assert.match(succeeds(as(['start', 'web'])), /^web: running/);
  });
});
