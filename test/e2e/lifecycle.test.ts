import * as assert from 'node:assert/strict';
import type { AgentClient } from '../../client/agent-client';
import { BerthError } from '../../protocol';
import { fakeGpuEnv } from '../support/fake-gpus';
import { RecordingDockerProxy } from '../support/recording-proxy';
import { useAgent } from '../support/use-agent';
import { waitFor } from '../support/wait';
import type { CodeServer } from './support/code-server';
import { keepFailure } from './support/failure';
import { openBerthWindow, type BerthWindow } from './support/window';
import type { Workbench } from './support/workbench';

const SMALL = { memory: 256 * 1024 ** 2, cpus: 1 };
/** Creating a workspace waits for its sshd; Docker on a busy machine can be slow. */
const DEADLINE_MS = 90_000;

/**
 * A workspace waiting for GPUs, as its owner sees it in another window: the row says what it waits
 * for and its place, and its menu offers Cancel and Delete (before, only Logs and Copy SSH Command).
 */
describe('e2e: lifecycle actions in the Berth tree (fake nvidia-smi)', function () {
  this.timeout(300_000);
  let proxy: RecordingDockerProxy;
  before(async () => {
    proxy = await RecordingDockerProxy.start();
    proxy.defaultRuntime = 'nvidia';
  });
  const agent = useAgent(() => ({ args: ['--docker-socket', proxy.socketPath], env: fakeGpuEnv('plain') }));
  let client: AgentClient;
  let berthWindow: BerthWindow;
  let server: CodeServer;
  let workbench: Workbench;
  let waiting: Promise<unknown>;

  before(async () => {
    const token = agent.token('alice');
    client = await agent.connect(token);
    await client.request('workspace.create', { name: 'holder', gpus: 4, ...SMALL });
    // Queued from "another terminal": this client, not the window.
    waiting = client
      .request('workspace.create', { name: 'queued', gpus: 4, waitForGpus: 600, ...SMALL })
      .catch((err: unknown) => err);
    berthWindow = await openBerthWindow({ host: { url: agent.url, name: 'Lab Host', token, user: 'alice' } });
    ({ server, workbench } = berthWindow);
  });

  afterEach(async function () {
    await keepFailure(this.currentTest, 'lifecycle', { workbench, server, agentLog: () => agent.log });
  });

  after(async () => {
    await berthWindow?.close();
    await proxy?.close();
  });

  it('shows a queued workspace as waiting for its GPUs with its place, and offers Cancel and Delete', async () => {
    await workbench.waitForTreeRow(/^queued waiting for 4 GPUs · 1st in queue/, DEADLINE_MS);
    await workbench.screenshot('lifecycle-queued-row');
    const items = await workbench.openContextMenu(/^queued waiting for /);
    await workbench.screenshot('lifecycle-queued-menu');
    assert.ok(items.includes('Cancel Waiting for GPUs'), items.join(', '));
    assert.ok(items.includes('Delete Workspace'), items.join(', '));
    assert.ok(!items.includes('Stop Workspace'), items.join(', '));
    await workbench.chooseMenuItem('Cancel Waiting for GPUs');
    await workbench.waitForTreeRow(/^queued stopped /, DEADLINE_MS);
    const ended = await waiting;
    assert.ok(ended instanceof BerthError && ended.code === 'cancelled', String(ended));
    assert.match(ended.message, /^cancelled by alice while waiting for GPUs/);
  });

  it('changes the resources of a stopped workspace from its menu, then offers to start it', async () => {
    await workbench.contextMenu(/^queued stopped/, 'Change Image or Resources…');
    await workbench.quickInput.waitForTitleOrPrompt('Change queued: what to change');
    await workbench.quickInput.pick('Memory');
    await workbench.quickInput.pick('GPUs');
    await workbench.quickInput.input.press('Enter');
    await workbench.quickInput.waitForTitleOrPrompt('Change queued: memory');
    await workbench.quickInput.typeAndEnter('512m');
    await workbench.quickInput.waitForTitleOrPrompt('Change queued: gpus');
    await workbench.quickInput.typeAndEnter('0');
    await workbench.clickNotificationButton('Start', 'Changed queued; it is stopped.', DEADLINE_MS);
    await workbench.waitForTreeRow(/^queued running/, DEADLINE_MS);
    const { workspace } = await client.request('workspace.get', { name: 'queued' });
    assert.equal(workspace.spec.memory, 512 * 1024 ** 2);
    assert.equal(workspace.spec.gpus, 0);
  });

  it('offers Restart and Change Image or Resources on a running workspace', async () => {
    const items = await workbench.openContextMenu(/^holder running/);
    assert.ok(items.includes('Restart Workspace'), items.join(', '));
    assert.ok(items.includes('Change Image or Resources…'), items.join(', '));
    const before = (await client.request('workspace.get', { name: 'holder' })).workspace.since;
    await workbench.chooseMenuItem('Restart Workspace');
    await waitFor(
      'holder to run again, in a new run',
      async () => {
        const { workspace } = await client.request('workspace.get', { name: 'holder' });
        return workspace.state === 'running' && workspace.since !== before;
      },
      DEADLINE_MS,
    );
    await workbench.waitForTreeRow(/^holder running/, DEADLINE_MS);
  });
});
