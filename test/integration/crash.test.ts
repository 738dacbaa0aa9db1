import * as assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { ProgressPhase } from '../../protocol';
import { docker } from '../support/docker';
import { sshKeyPair, sshRun } from '../support/ssh';
import { useAgent } from '../support/use-agent';

/** The phases of a create at which the agent is killed, from before anything exists to sshd coming up. */
const PHASES: ProgressPhase[] = [
  'allocating',
  'creating-volume',
  'creating-container',
  'starting-container',
  'waiting-for-ssh',
];

describe('agent: kill -9 in the middle of a create', function () {
  this.timeout(180_000);
  const agent = useAgent();
  let token: string;
  const key = sshKeyPair();

  before(async () => {
    token = agent.token('alice', true);
    const client = await agent.connect(token);
    await client.request('user.addKey', { key: key.publicKey });
    client.close();
  });

  for (const phase of PHASES) {
    it(`leaves no orphan when killed at "${phase}": the workspace is complete, failed with a reason, or never existed`, async () => {
      const name = `crash-${phase}`;
      const client = await agent.connect(token);
      const reached = new Promise<void>((resolve) =>
        client.onEvent((event) => {
          if (event.event === 'workspace.progress' && event.data.name === name && event.data.phase === phase) resolve();
        }),
      );
      const create = client.request('workspace.create', { name }).catch((err: Error) => err);
      await reached;
      await agent.kill9();
      await create;
      client.close();

      await agent.restart();
      const after = await agent.connect(token);
      try {
        const { workspaces } = await after.request('workspace.list', {});
        const record = workspaces.find((ws) => ws.name === name);
        const containers = docker('ps', '-aq', '--filter', `label=dev.berth.name=${name}`);
        const volumes = docker('volume', 'ls', '-q', '--filter', `label=dev.berth.name=${name}`);
        const info = await after.request('host.info', {});
        assert.deepEqual(info.orphans, [], 'no orphaned container or volume');
        const bootstrapDirs = await fs.readdir(path.join(agent.stateDir, 'workspaces')).catch(() => []);
        const ids = new Set(workspaces.map((ws) => ws.id));
        assert.ok(
          bootstrapDirs.every((id) => ids.has(id)),
          'no bootstrap directory without a workspace',
        );

        if (!record) {
          // Killed before the store was written: nothing of it may exist.
          assert.equal(containers, '', 'no container without a record');
          assert.equal(volumes, '', 'no volume without a record');
          return;
        }
        assert.ok(record.state === 'running' || record.state === 'failed', `state is ${record.state}`);
        if (record.state === 'failed') assert.match(record.message ?? '', /agent stopped while creating/);
        else assert.equal(sshRun(record, key.privateKey, 'true').code, 0);
        const ports = workspaces.map((ws) => ws.ssh.port);
        assert.equal(new Set(ports).size, ports.length, 'no port held twice');

        // Whatever state it is in, it can be deleted completely.
        await after.request('workspace.delete', { name, deleteData: true, now: true });
        assert.equal(docker('ps', '-aq', '--filter', `label=dev.berth.name=${name}`), '');
        assert.equal(docker('volume', 'ls', '-q', '--filter', `label=dev.berth.name=${name}`), '');
        const dirs = await fs.readdir(path.join(agent.stateDir, 'workspaces'));
        assert.ok(!dirs.includes(record.id), 'its bootstrap directory is gone');
      } finally {
        after.close();
      }
    });
  }

  it('starts a workspace that failed in an interrupted create, on its original port', async () => {
    const name = 'crash-retry';
    const client = await agent.connect(token);
    const reached = new Promise<void>((resolve) =>
      client.onEvent((event) => {
        if (
          event.event === 'workspace.progress' &&
          event.data.name === name &&
          event.data.phase === 'creating-container'
        ) {
          resolve();
        }
      }),
    );
    void client.request('workspace.create', { name }).catch(() => undefined);
    await reached;
    await agent.kill9();
    client.close();
    await agent.restart();
    const after = await agent.connect(token);
    try {
      const { workspace: before } = await after.request('workspace.get', { name });
      const { workspace } = await after.request('workspace.start', { name });
      assert.equal(workspace.state, 'running');
      assert.equal(workspace.ssh.port, before.ssh.port);
      assert.equal(sshRun(workspace, key.privateKey, 'true').code, 0);
    } finally {
      after.close();
    }
  });
});
