import * as assert from 'node:assert/strict';
import type { AgentClient } from '../../client/agent-client';
import type { Workspace, WorkspaceState } from '../../protocol';
import { docker, dockerBuild, requireDocker } from '../support/docker';
import { DockerSocketProxy } from '../support/socket-proxy';
import { sshKeyPair, sshRun } from '../support/ssh';
import { useAgent } from '../support/use-agent';
import { waitFor } from '../support/wait';

/** Resolves with the workspace once a `workspace.changed` event shows it in `state`. */
function changedTo(client: AgentClient, name: string, state: WorkspaceState, timeoutMs = 30_000): Promise<Workspace> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      unsubscribe();
      reject(new Error(`no workspace.changed to ${state} for ${name} within ${timeoutMs} ms`));
    }, timeoutMs);
    const unsubscribe = client.onEvent((event) => {
      if (
        event.event === 'workspace.changed' &&
        event.data.workspace.name === name &&
        event.data.workspace.state === state
      ) {
        clearTimeout(timer);
        unsubscribe();
        resolve(event.data.workspace);
      }
    });
  });
}

describe('agent: Docker changes made behind its back', function () {
  this.timeout(120_000);
  let proxy: DockerSocketProxy;
  let client: AgentClient;
  const key = sshKeyPair();
  const noSshd = 'berth-test-no-sshd:latest';

  before(async () => {
    requireDocker();
    dockerBuild(noSshd, 'FROM berth-base:bookworm\nRUN rm -f /usr/sbin/sshd /usr/bin/apt-get\n');
    proxy = await DockerSocketProxy.start();
  });
  const agent = useAgent(() => ({ args: ['--docker-socket', proxy.socketPath] }));
  before(async () => {
    client = await agent.connect(agent.token('alice'));
    await client.request('user.addKey', { key: key.publicKey });
  });
  after(async () => {
    await proxy?.down();
    docker('rmi', '-f', noSshd);
  });

  it('shows a workspace stopped with docker stop as stopped, saying so', async () => {
    const { workspace } = await client.request('workspace.create', { name: 'stopped-outside' });
    const changed = changedTo(client, 'stopped-outside', 'stopped');
    docker('stop', `berth-${workspace.id}`);
    const stopped = await changed;
    assert.match(stopped.message ?? '', /outside Berth/);
  });

  it('shows a workspace killed with docker kill as no longer running', async () => {
    const { workspace } = await client.request('workspace.create', { name: 'killed-outside' });
    const changed = changedTo(client, 'killed-outside', 'stopped');
    docker('kill', `berth-${workspace.id}`);
    await changed;
  });

  it('shows a workspace started with docker start as running once sshd answers', async () => {
    const { workspace } = await client.request('workspace.create', { name: 'started-outside' });
    await client.request('workspace.stop', { name: 'started-outside' });
    const changed = changedTo(client, 'started-outside', 'running');
    docker('start', `berth-${workspace.id}`);
    assert.match((await changed).message ?? '', /started outside Berth/);
  });

  it('recreates a container removed behind its back on the next start, home intact', async () => {
    const { workspace } = await client.request('workspace.create', { name: 'removed-outside' });
    assert.equal(sshRun(workspace, key.privateKey, 'echo survived > ~/proof').code, 0);
    const changed = changedTo(client, 'removed-outside', 'stopped');
    docker('rm', '-f', `berth-${workspace.id}`);
    assert.match((await changed).message ?? '', /removed outside Berth/);
    const restarted = await client.request('workspace.start', { name: 'removed-outside' });
    assert.equal(sshRun(restarted.workspace, key.privateKey, 'cat ~/proof').stdout, 'survived\n');
  });

  it('catches up after losing the Docker connection: a stop missed meanwhile shows up', async () => {
    const { workspace } = await client.request('workspace.create', { name: 'missed-event' });
    await proxy.down();
    docker('stop', `berth-${workspace.id}`);
    await proxy.up();
    await waitFor('the agent to reconcile after reconnecting', async () => {
      const { workspace: now } = await client.request('workspace.get', { name: 'missed-event' });
      return now.state === 'stopped';
    });
  });

  it('refuses an image with neither sshd nor a package manager, naming it, leaving nothing behind', async () => {
    await assert.rejects(
      client.request('workspace.create', { name: 'no-sshd', image: noSshd }),
      (err: Error & { code?: string }) => {
        assert.equal(err.code, 'invalid_params');
        assert.match(err.message, /sshd/);
        assert.match(err.message, /openssh-server/);
        return true;
      },
    );
    const { workspaces } = await client.request('workspace.list', {});
    assert.ok(!workspaces.some((ws) => ws.name === 'no-sshd'));
    assert.equal(docker('ps', '-aq', '--filter', 'label=dev.berth.name=no-sshd'), '');
    assert.equal(docker('volume', 'ls', '-q', '--filter', 'label=dev.berth.name=no-sshd'), '');
  });
});
