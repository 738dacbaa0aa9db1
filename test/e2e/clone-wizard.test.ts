import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { AgentClient } from '../../client/agent-client';
import { useAgent } from '../support/use-agent';
import { workspaceRow } from './support/berth';
import type { CodeServer } from './support/code-server';
import { keepFailure } from './support/failure';
import { openBerthWindow, type BerthWindow } from './support/window';
import type { Workbench } from './support/workbench';

/** Creating a workspace waits for its sshd; Docker on a busy machine can be slow. */
const DEADLINE_MS = 90_000;
/**
 * The open folder's remote: loopback inside the workspace, where nothing listens on port 9 (discard),
 * so its clone fails at once, without leaving the machine, and the failure is what the tree shows.
 */
const REMOTE = 'http://127.0.0.1:9/team/app.git';

/**
 * Issue 15, "the extension's create wizard offers the open folder's git remote": a folder that is a
 * git repository with a remote and a branch; the wizard offers to clone it (and one of the user's
 * secrets, by name, for its credentials) and the workspace is made with the fields
 * `berth create --clone URL --branch B --clone-secret NAME` gives it.
 */
describe('e2e: clone on create from the create wizard', function () {
  this.timeout(300_000);
  const agent = useAgent();
  let client: AgentClient;
  let berthWindow: BerthWindow;
  let server: CodeServer;
  let workbench: Workbench;
  const quickInput = () => workbench.quickInput;
  const step = async (title: string) => {
    await quickInput().waitForTitleOrPrompt(title);
    return (await quickInput().state())!;
  };
  /** The open list's rows as shown: label, description and detail. */
  const rows = async () =>
    (await workbench.page.locator('.quick-input-widget .quick-input-list .monaco-list-row').allInnerTexts()).map(
      (row) => row.replace(/\s+/g, ' ').trim(),
    );
  /** The labels of the open list's items as shown (a row keeps a hidden detail of an earlier item). */
  const labels = () =>
    workbench.page
      .locator('.quick-input-widget .quick-input-list .monaco-list-row .label-name')
      .evaluateAll((nodes: { checkVisibility(): boolean; textContent: string | null }[]) =>
        nodes.filter((node) => node.checkVisibility()).map((node) => (node.textContent ?? '').trim()),
      );
  /** Runs Create Workspace and takes the defaults up to the repository step (`of` steps in all). */
  const upToRepository = async (name: string, of: number) => {
    await workbench.runCommand('Berth: Create Workspace');
    await step(`(1/${of}): name`);
    await quickInput().typeAndEnter(name);
    for (const [index, title] of ['image', 'CPUs', 'memory', 'stop when idle'].entries()) {
      await step(`(${index + 2}/${of}): ${title}`);
      await workbench.until(`the ${title} step's list`, async () => (await rows()).length > 0);
      await quickInput().input.press('Enter');
    }
    return step(`(6/${of}): repository`);
  };

  before(async () => {
    const token = agent.token('alice');
    client = await agent.connect(token);
    await client.request('secret.set', { name: 'GIT_TOKEN', value: 'e2e-token-value' });
    berthWindow = await openBerthWindow({
      host: { url: agent.url, name: 'Lab Host', token, user: 'alice' },
      prepareHome: async (home) => {
        const folder = path.join(home, 'project');
        await fs.mkdir(folder);
        const git = (...args: string[]) => execFileSync('git', ['-C', folder, ...args], { stdio: 'pipe' });
        git('init', '-q', '-b', 'feature/login');
        git('remote', 'add', 'origin', REMOTE);
      },
    });
    ({ server, workbench } = berthWindow);
  });

  afterEach(async function () {
    await keepFailure(this.currentTest, 'clone-wizard', { workbench, server, agentLog: () => agent.log });
  });

  after(async () => {
    await berthWindow?.close();
  });

  it('offers to clone the folder’s remote on its branch, then a secret by name; the workspace gets the CLI’s fields', async () => {
    await upToRepository('cloned', 7);
    await workbench.until('the repository offered', async () => (await labels()).includes("Don't clone"));
    // The first item's detail line is drawn as a label of its own.
    assert.deepEqual(await labels(), [
      `Clone ${REMOTE} into the workspace`,
      "The open folder's remote, cloned into ~/app at the workspace's first start",
      "Don't clone",
    ]);
    assert.match((await rows())[0] ?? '', /branch feature\/login/);
    await workbench.screenshot('clone-wizard-1-repository');
    await quickInput().input.press('Enter');
    await step('(7/7): clone credentials');
    await workbench.until('the secrets listed', async () => (await labels()).includes('GIT_TOKEN'));
    assert.deepEqual(await labels(), ['No secret', 'GIT_TOKEN']);
    await workbench.screenshot('clone-wizard-2-credentials');
    await quickInput().input.fill('GIT_TOKEN');
    await workbench.until('GIT_TOKEN to be the active item', async () =>
      (await workbench.page.locator('.quick-input-widget .monaco-list-row.focused').innerText()).includes('GIT_TOKEN'),
    );
    await quickInput().input.press('Enter');

    await workbench.waitForTreeRow(workspaceRow('cloned', 'running'), DEADLINE_MS);
    const { workspace } = await client.request('workspace.get', { name: 'cloned' });
    assert.deepEqual(workspace.spec.clone, { url: REMOTE, branch: 'feature/login', secret: 'GIT_TOKEN' });
    assert.deepEqual(workspace.spec.secrets, [{ key: 'GIT_TOKEN', file: '/run/secrets/GIT_TOKEN' }]);
    assert.match(workspace.message ?? '', /the clone of http:\/\/127\.0\.0\.1:9\/team\/app\.git failed/);
    assert.ok(!(await workbench.page.content()).includes('e2e-token-value'), 'the window shows the value');

    // The offer to connect says so, and the tree's tooltip too.
    await workbench.waitForNotification(
      /Workspace "cloned" is running on Lab Host\. But: the clone of http:\/\/127\.0\.0\.1:9/,
    );
    // The tree says why the repository is not there.
    const row = await workbench.waitForTreeRow(workspaceRow('cloned', 'running'));
    const tooltip = await workbench.tooltipOf(row, /the clone of/);
    assert.match(tooltip, /the clone of http:\/\/127\.0\.0\.1:9\/team\/app\.git failed/);
    await workbench.screenshot('clone-wizard-3-clone-failed-tooltip');
    await workbench.page.mouse.move(700, 300);
  });

  it('makes a workspace without a clone when the user declines, and asks nothing more', async () => {
    await upToRepository('plain', 7);
    await quickInput().pick("Don't clone");
    await workbench.waitForTreeRow(workspaceRow('plain', 'running'), DEADLINE_MS);
    const { workspace } = await client.request('workspace.get', { name: 'plain' });
    assert.equal(workspace.spec.clone, undefined);
    assert.equal(workspace.spec.secrets, undefined);
    assert.equal(workspace.message, undefined);
  });
});
