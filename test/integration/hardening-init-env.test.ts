import * as assert from 'node:assert/strict';
import type { AgentClient } from '../../client/agent-client';
import type { Workspace } from '../../protocol';
import { AgentProcess } from '../support/agent-process';
import { docker, requireDocker } from '../support/docker';
import { sshKeyPair, sshRun } from '../support/ssh';

/** The environment Docker starts the container's first process (the init, as root) with. */
const containerEnv = (workspace: Workspace): string[] =>
  (JSON.parse(docker('inspect', `berth-${workspace.id}`)) as { Config: { Env: string[] } }[])[0]?.Config.Env ?? [];

// The init runs as root, and a workspace's env is its user's: PATH or LD_* pointing into their home
// made root run their programs (an escalation in an image without sudo).
describe('hardening: the init runs as root with nothing of the user on its way', function () {
  this.timeout(180_000);
  let agent: AgentProcess;
  let client: AgentClient;
  let workspace: Workspace;
  const key = sshKeyPair();
  const run = (command: string) => {
    const result = sshRun(workspace, key.privateKey, command);
    assert.equal(result.code, 0, `${command}: ${result.stderr}`);
    return result.stdout;
  };

  before(async () => {
    requireDocker();
    agent = await AgentProcess.start();
    client = await agent.connect(agent.token('alice'));
    await client.request('user.addKey', { key: key.publicKey });
    const env = {
      PATH: '/home/dev/bin:/usr/local/bin:/usr/bin:/bin',
      LD_LIBRARY_PATH: '/home/dev/lib',
      TMPDIR: '/home/dev',
    };
    ({ workspace } = await client.request('workspace.create', { name: 'box', env }));
  });

  after(async () => {
    client?.close();
    await agent?.destroy();
  });

  it('keeps LD_* and TMPDIR out of the environment the init starts with, and gives them to sessions', () => {
    const env = containerEnv(workspace);
    assert.ok(!env.some((entry) => /^(LD_LIBRARY_PATH|TMPDIR)=/.test(entry)), env.join('\n'));
    assert.equal(run('echo "$LD_LIBRARY_PATH $TMPDIR"'), '/home/dev/lib /home/dev\n');
  });

  it("runs the init on a fixed PATH: a program in the user's home named like a tool never runs as root", async () => {
    // Stand-ins for the tools the init calls, first on the workspace's PATH: each notes who ran it.
    const standIn = '#!/bin/sh\\n/usr/bin/id -u >>/home/dev/ran-as\\nexec "/usr/bin/${0##*/}" "$@"\\n';
    run(
      `mkdir -p ~/bin && for t in id stat cat chmod mkdir ls sh; do printf '${standIn}' >~/bin/$t; done && /bin/chmod +x ~/bin/*`,
    );
    await client.request('workspace.stop', { name: 'box' });
    await client.request('workspace.start', { name: 'box' });
    // Read from outside: with the stand-ins run as root, sshd may not even let the user in.
    const ranAs = docker(
      'exec',
      `berth-${workspace.id}`,
      '/bin/sh',
      '-c',
      '/bin/cat /home/dev/ran-as 2>/dev/null || true',
    );
    assert.ok(!ranAs.split('\n').includes('0'), `a stand-in in ~/bin ran as root:\n${ranAs}`);
  });
});
