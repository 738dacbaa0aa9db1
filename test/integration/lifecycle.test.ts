import * as assert from 'node:assert/strict';
import type { AgentClient } from '../../client/agent-client';
import { docker, dockerBuild, dockerExists } from '../support/docker';
import { sshKeyPair, sshRun } from '../support/ssh';
import { useAgent } from '../support/use-agent';
import { waitFor } from '../support/wait';

describe('agent: workspace lifecycle on real Docker and OpenSSH', function () {
  this.timeout(120_000);
  const agent = useAgent();
  let client: AgentClient;
  const key = sshKeyPair();
  const altImage = 'berth-workspace:lifecycle-alt';

  before(async () => {
    // A second image, derived from the workspace image, to prove an image change keeps the home.
    dockerBuild(altImage, 'FROM berth-workspace:latest\nRUN echo alt > /etc/berth-alt\n');
    client = await agent.connect(agent.token('alice'));
    await client.request('user.addKey', { key: key.publicKey });
  });

  after(() => {
    docker('rmi', '-f', altImage);
  });

  it('creates a workspace the stock ssh client enters with strict host-key checking', async () => {
    const { workspace } = await client.request('workspace.create', { name: 'web', env: { GREETING: "it's here" } });
    assert.equal(workspace.state, 'running');
    assert.ok(workspace.ssh.port >= agent.ports.first && workspace.ssh.port <= agent.ports.last);
    const result = sshRun(workspace, key.privateKey, 'whoami; echo "$GREETING"; echo kept > ~/notes.txt');
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout, "dev\nit's here\n");
  });

  it('runs the container unprivileged, limited, labelled and published on loopback only', async () => {
    const { workspace } = await client.request('workspace.get', { name: 'web' });
    const [info] = JSON.parse(docker('inspect', `berth-${workspace.id}`)) as DockerInspect[];
    assert.ok(info);
    assert.equal(info.HostConfig.Privileged, false);
    assert.equal(info.HostConfig.NanoCpus, workspace.spec.cpus * 1e9);
    assert.equal(info.HostConfig.Memory, workspace.spec.memory);
    assert.ok(info.HostConfig.PidsLimit > 0);
    assert.deepEqual(info.HostConfig.PortBindings['22/tcp'], [
      { HostIp: '127.0.0.1', HostPort: String(workspace.ssh.port) },
    ]);
    assert.equal(info.Config.Labels['dev.berth.workspace'], workspace.id);
    assert.ok(info.Config.Env.includes('NVIDIA_VISIBLE_DEVICES=void'));
    assert.ok(!info.Mounts.some((m) => m.Source.includes('docker.sock')), 'no Docker socket in the workspace');
    const home = info.Mounts.find((m) => m.Destination === '/home/dev');
    assert.equal(home?.Name, `berth-${workspace.id}-home`);
  });

  it('keeps the home and the host key across stop and start', async () => {
    const stopped = await client.request('workspace.stop', { name: 'web' });
    assert.equal(stopped.workspace.state, 'stopped');
    const { workspace } = await client.request('workspace.start', { name: 'web' });
    assert.equal(workspace.state, 'running');
    assert.equal(workspace.ssh.hostKey, stopped.workspace.ssh.hostKey);
    const result = sshRun(workspace, key.privateKey, 'cat ~/notes.txt');
    assert.equal(result.stdout, 'kept\n', result.stderr);
  });

  it('keeps the home across an image change and a limit change', async () => {
    const byImage = await client.request('workspace.update', { name: 'web', changes: { image: altImage } });
    assert.equal(byImage.workspace.state, 'running');
    assert.equal(byImage.workspace.spec.image, altImage);
    assert.equal(sshRun(byImage.workspace, key.privateKey, 'cat /etc/berth-alt ~/notes.txt').stdout, 'alt\nkept\n');

    const byLimits = await client.request('workspace.update', {
      name: 'web',
      changes: { cpus: 1, memory: 512 * 1024 ** 2 },
    });
    const [info] = JSON.parse(docker('inspect', `berth-${byLimits.workspace.id}`)) as DockerInspect[];
    assert.equal(info?.HostConfig.NanoCpus, 1e9);
    assert.equal(info?.HostConfig.Memory, 512 * 1024 ** 2);
    assert.equal(info?.Config.Image, altImage);
    assert.equal(sshRun(byLimits.workspace, key.privateKey, 'cat ~/notes.txt').stdout, 'kept\n');
  });

  it('restarts as one operation, with progress from the stop to sshd, on the same home and port', async () => {
    const before = (await client.request('workspace.get', { name: 'web' })).workspace;
    const startedAt = () =>
      (JSON.parse(docker('inspect', `berth-${before.id}`)) as { State: { StartedAt: string } }[])[0]?.State.StartedAt;
    const wasStarted = startedAt();
    const phases: string[] = [];
    const { workspace } = await client.request(
      'workspace.restart',
      { name: 'web' },
      { onProgress: (event) => phases.push(event.phase) },
    );
    assert.equal(workspace.state, 'running');
    assert.equal(workspace.ssh.port, before.ssh.port);
    assert.notEqual(workspace.since, before.since, 'a new run');
    assert.notEqual(startedAt(), wasStarted, 'the container was started again');
    assert.deepEqual(
      phases.filter((phase) => ['stopping', 'starting-container', 'waiting-for-ssh', 'done'].includes(phase)),
      ['stopping', 'starting-container', 'waiting-for-ssh', 'done'],
    );
    assert.equal(sshRun(workspace, key.privateKey, 'cat ~/notes.txt').stdout, 'kept\n');
  });

  it('restarting a stopped workspace starts it', async () => {
    await client.request('workspace.stop', { name: 'web' });
    const { workspace } = await client.request('workspace.restart', { name: 'web' });
    assert.equal(workspace.state, 'running');
  });

  it('deletes without --delete-data and keeps the home volume', async () => {
    const { workspace } = await client.request('workspace.get', { name: 'web' });
    const result = await client.request('workspace.delete', { name: 'web' });
    assert.equal(result.keptVolume, `berth-${workspace.id}-home`);
    assert.ok(!dockerExists('container', `berth-${workspace.id}`));
    assert.ok(dockerExists('volume', `berth-${workspace.id}-home`));
    await assert.rejects(client.request('workspace.get', { name: 'web' }), { code: 'not_found' });
  });

  it('deletes with deleteData and now, and removes the home volume at once', async () => {
    const { workspace } = await client.request('workspace.create', { name: 'scratch' });
    await client.request('workspace.delete', { name: 'scratch', deleteData: true, now: true });
    assert.ok(!dockerExists('container', `berth-${workspace.id}`));
    assert.ok(!dockerExists('volume', `berth-${workspace.id}-home`));
  });

  it("keeps the agent's own readiness checks out of the workspace log, across a create and a restart", async () => {
    await client.request('workspace.create', { name: 'quiet', memory: 256 * 1024 ** 2, cpus: 0.5 });
    await client.request('workspace.restart', { name: 'quiet' });
    const { text } = await client.request('workspace.logs', { name: 'quiet', tail: 200 });
    assert.match(text, /berth: starting sshd/);
    assert.doesNotMatch(text, /kex_exchange_identification|Connection closed by|preauth/);
    await client.request('workspace.delete', { name: 'quiet', deleteData: true });
  });

  it('runs the startup command and serves its output as logs', async () => {
    await client.request('workspace.create', { name: 'logged', command: 'echo startup-said-hello' });
    await waitFor('the startup output in the logs', async () => {
      const { text } = await client.request('workspace.logs', { name: 'logged', tail: 50 });
      return text.includes('startup-said-hello');
    });
  });
});

interface DockerInspect {
  Config: { Image: string; Env: string[]; Labels: Record<string, string> };
  HostConfig: {
    Privileged: boolean;
    NanoCpus: number;
    Memory: number;
    PidsLimit: number;
    PortBindings: Record<string, { HostIp: string; HostPort: string }[]>;
  };
  Mounts: { Source: string; Destination: string; Name?: string }[];
}
