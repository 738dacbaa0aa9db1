import * as assert from 'node:assert/strict';
import type { AgentClient } from '../../client/agent-client';
import { docker, dockerExists } from '../support/docker';
import { useAgent } from '../support/use-agent';

const running = (name: string): boolean => docker('inspect', '--format', '{{.State.Running}}', name) === 'true';

describe('agent: a container renamed outside Berth', function () {
  this.timeout(120_000);
  const agent = useAgent();
  let client: AgentClient;
  const made: string[] = [];

  before(async () => {
    client = await agent.connect(agent.token('alice'));
  });
  after(() => {
    for (const name of made) docker('rm', '-f', name);
  });

  it('is still stopped by a stop, found by its labels', async () => {
    const { workspace } = await client.request('workspace.create', { name: 'renamed' });
    const renamed = `renamed-${workspace.id}`;
    docker('rename', `berth-${workspace.id}`, renamed);
    made.push(renamed);
    await client.request('workspace.stop', { name: 'renamed' });
    assert.equal(running(renamed), false);
    assert.equal((await client.request('workspace.get', { name: 'renamed' })).workspace.state, 'stopped');
  });

  it('is the one stopped and removed, while a container merely named like it is left alone', async () => {
    const { workspace } = await client.request('workspace.create', { name: 'impostor' });
    const renamed = `renamed-${workspace.id}`;
    const foreign = `berth-${workspace.id}`;
    docker('rename', foreign, renamed);
    made.push(renamed, foreign);
    docker('run', '-d', '--name', foreign, '--entrypoint', 'sleep', 'berth-workspace:latest', 'infinity');

    await client.request('workspace.stop', { name: 'impostor' });
    assert.equal(running(renamed), false);
    assert.equal(running(foreign), true, 'a container without our labels is not stopped');
    await client.request('workspace.delete', { name: 'impostor' });
    assert.equal(dockerExists('container', renamed), false);
    assert.equal(running(foreign), true, 'nor removed');
  });
});
