import * as assert from 'node:assert/strict';
import type { AgentClient } from '../../client/agent-client';
import type { BerthError } from '../../protocol';
import { docker, dockerExists } from '../support/docker';
import { sshKeyPair, sshRun } from '../support/ssh';
import { useAgent } from '../support/use-agent';

describe('agent: a home volume removed behind its back', function () {
  this.timeout(120_000);
  const agent = useAgent();
  let client: AgentClient;
  const key = sshKeyPair();

  before(async () => {
    client = await agent.connect(agent.token('alice'));
    await client.request('user.addKey', { key: key.publicKey });
  });

  it('refuses to start the workspace on an empty home, saying its home volume is gone, and makes none', async () => {
    const { workspace } = await client.request('workspace.create', { name: 'lost-home' });
    await client.request('workspace.stop', { name: 'lost-home' });
    // Docker keeps a volume while a container uses it: whoever removed it removed the container first.
    docker('rm', '-f', `berth-${workspace.id}`);
    docker('volume', 'rm', `berth-${workspace.id}-home`);

    await assert.rejects(client.request('workspace.start', { name: 'lost-home' }), (err: BerthError) => {
      assert.equal(err.code, 'not_found');
      assert.match(err.message, new RegExp(`home volume berth-${workspace.id}-home of workspace "lost-home" is gone`));
      assert.match(err.message, /delete the workspace \(berth rm lost-home\) and create it again/);
      return true;
    });
    assert.equal(dockerExists('volume', `berth-${workspace.id}-home`), false, 'no empty home was made in its place');
    assert.equal(dockerExists('container', `berth-${workspace.id}`), false);
    assert.equal((await client.request('workspace.get', { name: 'lost-home' })).workspace.state, 'stopped');
  });

  it('starts a workspace whose container alone was removed, on its own home', async () => {
    const { workspace } = await client.request('workspace.create', { name: 'kept-home' });
    assert.equal(sshRun(workspace, key.privateKey, 'echo mine > ~/proof').code, 0);
    await client.request('workspace.stop', { name: 'kept-home' });
    docker('rm', '-f', `berth-${workspace.id}`);
    const started = await client.request('workspace.start', { name: 'kept-home' });
    assert.equal(sshRun(started.workspace, key.privateKey, 'cat ~/proof').stdout, 'mine\n');
  });
});
