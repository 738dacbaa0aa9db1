import * as assert from 'node:assert/strict';
import type { AgentClient } from '../../client/agent-client';
import { specHash } from '../../agent/workspaces/spec-hash';
import { docker } from '../support/docker';
import { sshKeyPair, sshRun } from '../support/ssh';
import { useAgent } from '../support/use-agent';

interface Inspect {
  Id: string;
  Config: { Env: string[]; Labels: Record<string, string>; Hostname: string; Image: string };
  HostConfig: {
    NetworkMode: string;
    CapDrop: string[] | null;
    Mounts: { Type: string; Source: string; Target: string; ReadOnly?: boolean }[];
  };
}

const inspect = (name: string): Inspect => (JSON.parse(docker('inspect', name)) as Inspect[])[0] as Inspect;

/**
 * Replaces a workspace's container with one as agents made it before the hardening: the same image,
 * mounts, labels and port, on Docker's default bridge with its default capabilities, labelled with the
 * spec's hash alone (what agents wrote before the container-config version was hashed in).
 */
function makeOldContainer(name: string, port: number, oldHash: string): string {
  const current = inspect(name);
  const labels = { ...current.Config.Labels, 'dev.berth.spec-hash': oldHash };
  docker('rm', '-f', name);
  return docker(
    'create',
    '--name',
    name,
    ...Object.entries(labels).flatMap(([key, value]) => ['--label', `${key}=${value}`]),
    ...current.Config.Env.flatMap((entry) => ['--env', entry]),
    ...current.HostConfig.Mounts.map(
      (m) => `--mount=type=${m.Type},source=${m.Source},target=${m.Target}${m.ReadOnly ? ',readonly' : ''}`,
    ),
    '--hostname',
    current.Config.Hostname,
    '--user',
    '0',
    '--publish',
    `127.0.0.1:${port}:22`,
    '--entrypoint',
    '/bin/sh',
    current.Config.Image,
    '/.berth/init',
  );
}

describe('agent: containers made with older container settings', function () {
  this.timeout(120_000);
  const agent = useAgent();
  let client: AgentClient;
  const key = sshKeyPair();

  before(async () => {
    client = await agent.connect(agent.token('alice'));
    await client.request('user.addKey', { key: key.publicKey });
  });

  it('recreates such a container at its next start, with the current settings, on the same home', async () => {
    const { workspace } = await client.request('workspace.create', { name: 'legacy' });
    const name = `berth-${workspace.id}`;
    assert.equal(sshRun(workspace, key.privateKey, 'echo mine > ~/proof').code, 0);
    await client.request('workspace.stop', { name: 'legacy' });
    const oldId = makeOldContainer(name, workspace.ssh.port, specHash(workspace.spec));
    assert.notEqual(inspect(oldId).HostConfig.NetworkMode, 'berth', 'on the default network');

    const started = await client.request('workspace.start', { name: 'legacy' });
    const now = inspect(name);
    assert.notEqual(now.Id, oldId, 'the old container was recreated');
    assert.equal(docker('ps', '-a', '-q', '--no-trunc', '--filter', `id=${oldId}`), '', 'and removed');
    assert.equal(now.HostConfig.NetworkMode, 'berth');
    assert.deepEqual(now.HostConfig.CapDrop, ['NET_RAW', 'MKNOD', 'SETPCAP']);
    assert.notEqual(now.Config.Labels['dev.berth.spec-hash'], specHash(workspace.spec));
    const home = now.HostConfig.Mounts.find((m) => m.Target === '/home/dev');
    assert.equal(home?.Source, `berth-${workspace.id}-home`);
    assert.equal(sshRun(started.workspace, key.privateKey, 'cat ~/proof').stdout, 'mine\n');
  });
});
