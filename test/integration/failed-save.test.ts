import * as assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { AgentClient } from '../../client/agent-client';
import type { BerthError, Workspace } from '../../protocol';
import { docker, dockerExists, labelledWithName } from '../support/docker';
import { useAgent } from '../support/use-agent';

/** The refusal of a change the store could not save: it says so, and that nothing changed. */
function refusedForSave(err: BerthError): boolean {
  assert.equal(err.code, 'internal', err.message);
  assert.match(err.message, /could not save the workspace state to .*workspaces\.json/);
  assert.match(err.message, /nothing was changed/);
  return true;
}

const running = (workspace: Workspace) => docker('inspect', '-f', '{{.State.Running}}', `berth-${workspace.id}`);

describe('agent: a change it cannot save is refused, and never carried out by a later save', function () {
  this.timeout(120_000);
  const agent = useAgent();
  let client: AgentClient;
  let token: string;
  const stateFile = () => path.join(agent.stateDir, 'workspaces.json');

  before(async () => {
    token = agent.token('alice');
    client = await agent.connect(token);
  });

  /**
   * Runs `fn` while every save of the store fails: a directory takes the state file's place, so the
   * atomic rename onto it fails (for root too, unlike a read-only directory). Afterwards the file is
   * put back as it was; the agent's next save overwrites it with what the agent holds in memory.
   */
  async function withSavesFailing(fn: () => Promise<void>): Promise<void> {
    const aside = `${stateFile()}.aside`;
    const had = await fs.rename(stateFile(), aside).then(
      () => true,
      () => false,
    );
    await fs.mkdir(stateFile());
    try {
      await fn();
    } finally {
      await fs.rmdir(stateFile());
      if (had) await fs.rename(aside, stateFile());
    }
  }

  /** Stops the agent (which saves its store), checks what it saved, and starts it again (which reconciles). */
  async function saveAndReconcile(name: string): Promise<Workspace> {
    await agent.stop();
    const saved = JSON.parse(await fs.readFile(stateFile(), 'utf8')) as { workspaces: { name: string }[] };
    assert.ok(
      saved.workspaces.some((ws) => ws.name === name),
      `the saved store still holds ${name}`,
    );
    client.close();
    await agent.restart();
    client = await agent.connect(token);
    return (await client.request('workspace.get', { name })).workspace;
  }

  it('refuses a delete it cannot save; a later save and reconciliation keep the container and the home', async () => {
    const { workspace } = await client.request('workspace.create', { name: 'kept-delete' });
    await withSavesFailing(async () => {
      await assert.rejects(
        client.request('workspace.delete', { name: 'kept-delete', deleteData: true }),
        refusedForSave,
      );
      assert.equal((await client.request('workspace.get', { name: 'kept-delete' })).workspace.state, 'running');
    });
    const after = await saveAndReconcile('kept-delete');
    assert.equal(after.state, 'running');
    assert.ok(dockerExists('container', `berth-${workspace.id}`), 'the container is still there');
    assert.ok(dockerExists('volume', `berth-${workspace.id}-home`), 'the home volume is still there');
  });

  it('refuses a stop it cannot save; the workspace keeps running through a later save and reconciliation', async () => {
    const { workspace } = await client.request('workspace.create', { name: 'kept-running' });
    await withSavesFailing(async () => {
      await assert.rejects(client.request('workspace.stop', { name: 'kept-running' }), refusedForSave);
      const now = (await client.request('workspace.get', { name: 'kept-running' })).workspace;
      assert.equal(now.state, 'running');
      assert.equal(now.stopReason, undefined);
    });
    assert.equal((await saveAndReconcile('kept-running')).state, 'running');
    assert.equal(running(workspace), 'true');
  });

  it('refuses a start it cannot save; the workspace stays stopped, not failed, after a restart', async () => {
    const { workspace } = await client.request('workspace.create', { name: 'kept-stopped' });
    await client.request('workspace.stop', { name: 'kept-stopped' });
    await withSavesFailing(async () => {
      await assert.rejects(client.request('workspace.start', { name: 'kept-stopped' }), refusedForSave);
      assert.equal((await client.request('workspace.get', { name: 'kept-stopped' })).workspace.state, 'stopped');
    });
    assert.equal((await saveAndReconcile('kept-stopped')).state, 'stopped');
    assert.equal(running(workspace), 'false');
  });

  it('refuses an update it cannot save; the spec stays as it was', async () => {
    const { workspace } = await client.request('workspace.create', { name: 'kept-spec' });
    await client.request('workspace.stop', { name: 'kept-spec' });
    await withSavesFailing(async () => {
      await assert.rejects(
        client.request('workspace.update', { name: 'kept-spec', changes: { cpus: workspace.spec.cpus / 2 } }),
        refusedForSave,
      );
      const now = (await client.request('workspace.get', { name: 'kept-spec' })).workspace;
      assert.deepEqual(now.spec, workspace.spec);
    });
    assert.deepEqual((await saveAndReconcile('kept-spec')).spec, workspace.spec);
  });

  it('refuses a keepalive it cannot save; no promise of a later stop is recorded', async () => {
    await client.request('workspace.create', { name: 'kept-idle' });
    await withSavesFailing(async () => {
      await assert.rejects(client.request('workspace.keepalive', { name: 'kept-idle', seconds: 3600 }), refusedForSave);
      assert.equal((await client.request('workspace.get', { name: 'kept-idle' })).workspace.keepUntil, undefined);
    });
  });

  it('refuses a create it cannot save, leaving no record, container, volume or directory behind', async () => {
    await withSavesFailing(async () => {
      await assert.rejects(client.request('workspace.create', { name: 'never-saved' }), refusedForSave);
    });
    const { workspaces } = await client.request('workspace.list', {});
    assert.ok(!workspaces.some((ws) => ws.name === 'never-saved'), 'no record');
    assert.deepEqual(labelledWithName('never-saved'), { containers: [], volumes: [] });
    const ids = new Set(workspaces.map((ws) => ws.id));
    const dirs = await fs.readdir(path.join(agent.stateDir, 'workspaces'));
    assert.deepEqual(
      dirs.filter((id) => !ids.has(id)),
      [],
      'no bootstrap directory without a workspace',
    );
  });
});
