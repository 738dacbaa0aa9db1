import * as assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { AgentClient } from '../../client/agent-client';
import type { Workspace } from '../../protocol';
import { defaultSecretsRunDir } from '../../agent/secrets/stage';
import { docker } from '../support/docker';
import { useAgent } from '../support/use-agent';
import { waitFor } from '../support/wait';

// A workspace's secret values are staged in /dev/shm for its run; every way the run ends (a stop, an
// archive, a failed start, the reconciler, a killed agent) must take them out of memory again.

const SMALL = { cpus: 0.5, memory: 256 * 1024 ** 2 };

describe('secrets: staged values leave /dev/shm whenever a run ends', function () {
  this.timeout(300_000);
  const agent = useAgent();
  const tag = `berth-test-unstage-${randomBytes(4).toString('hex')}:1`;
  let alice: AgentClient;
  let runDir = '';
  const staged = (id: string) =>
    fs.readdir(path.join(runDir, id)).then(
      (entries) => entries.length > 0,
      () => false,
    );
  const create = async (name: string, image?: string): Promise<Workspace> =>
    (
      await alice.request('workspace.create', {
        name,
        ...SMALL,
        ...(image ? { image } : {}),
        secrets: [
          { key: 'TOKEN', env: 'API_TOKEN' },
          { key: 'TOKEN', file: '/run/secrets/TOKEN' },
        ],
      })
    ).workspace;

  before(async () => {
    runDir = defaultSecretsRunDir(agent.stateDir);
    alice = await agent.connect(agent.token('alice'));
    await alice.request('secret.set', { name: 'TOKEN', value: `value-${randomBytes(8).toString('hex')}` });
  });

  after(async () => {
    if (runDir) await fs.rm(runDir, { recursive: true, force: true });
    docker('image', 'rm', '-f', tag);
  });

  it('after a stop', async () => {
    const ws = await create('stopped');
    assert.ok(await staged(ws.id), 'nothing was staged for the run');
    await alice.request('workspace.stop', { name: 'stopped' });
    assert.equal(await staged(ws.id), false);
  });

  it('after an archive of a running workspace', async () => {
    const ws = await create('archived');
    assert.ok(await staged(ws.id), 'nothing was staged for the run');
    await alice.request('workspace.archive', { name: 'archived' });
    assert.equal(await staged(ws.id), false, 'the values of an archived workspace stay in /dev/shm');
  });

  it('after a stop outside Berth, which the reconciler records', async () => {
    const ws = await create('outside');
    assert.ok(await staged(ws.id), 'nothing was staged for the run');
    docker('stop', '-t', '0', `berth-${ws.id}`);
    await waitFor('the reconciler to record the stop', async () => {
      const { workspace } = await alice.request('workspace.get', { name: 'outside' });
      return workspace.state === 'stopped';
    });
    await waitFor('the staged values to go', async () => !(await staged(ws.id)));
  });

  it('after a failed start', async () => {
    docker('tag', 'berth-workspace:latest', tag);
    const ws = await create('fails', tag);
    await alice.request('workspace.stop', { name: 'fails' });
    // Its container and image gone: the start stages the values, then cannot make a container.
    docker('rm', '-f', `berth-${ws.id}`);
    docker('image', 'rm', tag);
    const failed = await alice.request('workspace.start', { name: 'fails' }).then(
      () => false,
      () => true,
    );
    assert.ok(failed, 'the start without an image succeeded');
    const { workspace } = await alice.request('workspace.get', { name: 'fails' });
    assert.equal(workspace.state, 'failed');
    assert.equal(await staged(ws.id), false, 'the values of a failed start stay in /dev/shm');
  });

  it("at the agent's start: what a killed agent left for workspaces not running goes, a running one's stays", async () => {
    const running = await create('running');
    const stopped = (await alice.request('workspace.get', { name: 'stopped' })).workspace;
    // As a kill -9 in the middle of a stop or of a create would leave them.
    for (const id of [stopped.id, 'abcdef012345']) {
      await fs.mkdir(path.join(runDir, id, 'mount'), { recursive: true });
      await fs.writeFile(path.join(runDir, id, 'mount', 'env'), 'export API_TOKEN=left\n');
    }
    await agent.kill9();
    await agent.restart();
    alice = await agent.connect(agent.token('alice'));
    assert.equal(await staged(stopped.id), false, "a stopped workspace's values stay after a restart");
    assert.equal(await staged('abcdef012345'), false, "an unknown workspace's values stay after a restart");
    assert.ok(await staged(running.id), "a running workspace's values were removed");
  });
});
