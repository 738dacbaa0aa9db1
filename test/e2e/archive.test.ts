import * as assert from 'node:assert/strict';
import type { AgentClient } from '../../client/agent-client';
import { useAgent } from '../support/use-agent';
import { waitFor } from '../support/wait';
import type { CodeServer } from './support/code-server';
import { keepFailure } from './support/failure';
import { openBerthWindow, type BerthWindow } from './support/window';
import type { Workbench } from './support/workbench';

const SMALL = { memory: 256 * 1024 ** 2, cpus: 0.5 };
/** Bringing a workspace up waits for its sshd; Docker on a busy machine can be slow. */
const DEADLINE_MS = 90_000;

/**
 * Issue 14 in VS Code: Archive from a workspace's menu moves it into the host's collapsed "Archived"
 * group; Unarchive brings it back running; Restore from Trash… makes a deleted one again.
 */
describe('e2e: archive, unarchive and restore from trash in the Berth tree', function () {
  this.timeout(300_000);
  const agent = useAgent();
  let client: AgentClient;
  let berthWindow: BerthWindow;
  let server: CodeServer;
  let workbench: Workbench;

  before(async () => {
    const token = agent.token('alice');
    client = await agent.connect(token);
    await client.request('workspace.create', { name: 'web', ...SMALL });
    berthWindow = await openBerthWindow({ host: { url: agent.url, name: 'Lab Host', token, user: 'alice' } });
    ({ server, workbench } = berthWindow);
  });

  afterEach(async function () {
    await keepFailure(this.currentTest, 'archive', { workbench, server, agentLog: () => agent.log });
  });

  after(async () => {
    await berthWindow?.close();
  });

  it('archives from the menu into a collapsed "Archived" group', async () => {
    await workbench.waitForTreeRow(/^web running/, DEADLINE_MS);
    await workbench.contextMenu(/^web running/, 'Archive Workspace…');
    await workbench.dialog.waitFor('Archive workspace "web"?');
    await workbench.screenshot('archive-confirm');
    await workbench.dialog.click('Archive');
    await workbench.waitForTreeRow(/^Archived 1/, DEADLINE_MS);
    await workbench.waitForNoTreeRow(/^web /);
    await workbench.screenshot('archive-group-collapsed');
    const { workspace } = await client.request('workspace.get', { name: 'web' });
    assert.ok(workspace.archivedAt);
  });

  it('shows the archived row inside the group and unarchives it from its menu', async () => {
    await workbench.expandTreeRow(/^Archived/);
    await workbench.waitForTreeRow(/^web archived/);
    const items = await workbench.openContextMenu(/^web archived/);
    await workbench.screenshot('archive-row-menu');
    assert.ok(items.includes('Unarchive Workspace'), items.join(', '));
    for (const absent of ['Start Workspace', 'Show Workspace Logs', 'Copy SSH Command']) {
      assert.ok(!items.includes(absent), items.join(', '));
    }
    await workbench.chooseMenuItem('Unarchive Workspace');
    await workbench.waitForTreeRow(/^web running/, DEADLINE_MS);
    await workbench.waitForNoTreeRow(/^Archived/);
    await workbench.screenshot('archive-unarchived');
  });

  it('restores a workspace deleted with its data from the host menu', async () => {
    await client.request('workspace.delete', { name: 'web', deleteData: true });
    await workbench.waitForNoTreeRow(/^web /);
    await workbench.contextMenu(/^Lab Host/, 'Restore from Trash…');
    await workbench.quickInput.waitForTitleOrPrompt('Restore from Trash on Lab Host');
    await workbench.screenshot('archive-trash-pick');
    await workbench.quickInput.pick('web');
    await workbench.waitForTreeRow(/^web running/, DEADLINE_MS);
    await waitFor('the trash to be empty', async () => !(await client.request('trash.list', {})).entries.length);
  });
});
