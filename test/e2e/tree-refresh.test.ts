import * as assert from 'node:assert/strict';
import type { ElementHandle } from 'playwright-core';
import type { AgentClient } from '../../client/agent-client';
import { useAgent } from '../support/use-agent';
import { waitFor } from '../support/wait';
import type { CodeServer } from './support/code-server';
import { keepFailure } from './support/failure';
import { openBerthWindow, type BerthWindow } from './support/window';
import type { Workbench } from './support/workbench';

const MiB = 1024 ** 2;
/** Creating a workspace waits for its sshd; Docker on a busy machine can be slow. */
const LIFECYCLE_DEADLINE_MS = 90_000;
/** Rounds of "open a menu on one row, change another workspace, choose from the menu". */
const ROUNDS = 3;
/**
 * How long the window's event loop is held while the other workspace changes: long enough for the
 * extension host to have sent its redraw, which the window then handles after the click.
 */
const HOLD_MS = 1_500;
/** The row of a stopped workspace of 1 or 2 CPUs and 256 MiB. */
const stoppedRow = (name: string, cpus: number) => `${name} stopped · ${cpus} CPU · 256 MiB`;
/** What "Copy SSH Command" says it copied for workspace `name` of host "Lab Host". */
const copiedFor = (name: string) => new RegExp(`Copied: ssh -F \\S+ berth\\.lab-host\\.${name}$`);

/**
 * Holds the window's event loop for `ms`, then presses and releases the mouse on `item` (an entry
 * of the open context menu). A redraw the extension host sends meanwhile waits in the window's
 * queue, so the command reaches the extension host after the redraw began there and before VS Code
 * fetched the rows again: the moment when a person's click lands in the middle of a redraw.
 */
async function clickHeld(item: ElementHandle, ms: number): Promise<void> {
  // The tests' tsconfig has no DOM lib: the little of it used here, typed by hand.
  type Target = { dispatchEvent(event: unknown): boolean };
  type Mouse = new (type: string, init: { bubbles: boolean; cancelable: boolean; button: number }) => unknown;
  await item.evaluate((target: Target, hold: number) => {
    const until = Date.now() + hold;
    while (Date.now() < until); // blocks the page: nothing else runs meanwhile
    const MouseEvent = (globalThis as unknown as { MouseEvent: Mouse }).MouseEvent;
    for (const type of ['mousedown', 'mouseup']) {
      target.dispatchEvent(new MouseEvent(type, { bubbles: true, cancelable: true, button: 0 }));
    }
  }, ms);
}

/**
 * The Berth tree redraws only the rows a change touched: a context menu opened on one workspace's
 * row still acts on that workspace when another workspace changes meanwhile. Before, every event
 * redrew the whole tree, and a command chosen then could lose its row and ask "Choose a workspace".
 */
describe('e2e: Berth tree refresh in code-server', function () {
  this.timeout(300_000);
  const agent = useAgent();
  let client: AgentClient;
  let berthWindow: BerthWindow;
  let server: CodeServer;
  let workbench: Workbench;

  before(async () => {
    const token = agent.token('alice');
    client = await agent.connect(token);
    for (const name of ['first', 'other']) {
      await client.request('workspace.create', { name, memory: 256 * MiB, cpus: 1 });
      await client.request('workspace.stop', { name });
    }
    berthWindow = await openBerthWindow({ host: { url: agent.url, name: 'Lab Host', token, user: 'alice' } });
    ({ server, workbench } = berthWindow);
    await workbench.waitForTreeRow(stoppedRow('first', 1), LIFECYCLE_DEADLINE_MS);
    await workbench.waitForTreeRow(stoppedRow('other', 1), LIFECYCLE_DEADLINE_MS);
  });

  afterEach(async function () {
    await keepFailure(this.currentTest, 'tree-refresh', { workbench, server, agentLog: () => agent.log });
  });

  after(async () => {
    await berthWindow?.close();
  });

  it('acts on the row whose context menu is open while another workspace changes, without asking which', async () => {
    const menu = workbench.page.locator('.context-view .monaco-menu');
    for (let round = 1; round <= ROUNDS; round++) {
      const items = await workbench.openContextMenu(/^first stopped /);
      assert.ok(items.includes('Copy SSH Command'), `round ${round}: the menu of first offers it: ${items.join(', ')}`);
      // The other row redraws under the open menu, which stays open.
      const cpus = (round % 2) + 1;
      await client.request('workspace.update', { name: 'other', changes: { cpus } });
      await workbench.waitForTreeRow(stoppedRow('other', cpus));
      assert.ok(await menu.isVisible(), `round ${round}: the menu stays open while another row redraws`);
      // Choose while the other workspace changes again, its redraw and the click crossing. A click
      // the menu does not take yet (it takes them from 100 ms after it draws its items) is made again.
      let other = cpus;
      const entry = workbench.page.locator('.context-view .monaco-menu a.action-menu-item', {
        hasText: 'Copy SSH Command',
      });
      await workbench.until(`round ${round}: the menu to take the click on "Copy SSH Command"`, async () => {
        const handle = await entry.elementHandle({ timeout: 1_000 });
        other = other === 1 ? 2 : 1;
        const click = clickHeld(handle, HOLD_MS);
        await client.request('workspace.update', { name: 'other', changes: { cpus: other } });
        await click;
        return waitFor('the menu to close', async () => !(await menu.isVisible()), 1_000).catch(() => false);
      });
      const outcome = await workbench.until(`round ${round}: first's SSH command copied, or a question`, async () => {
        const asked = await workbench.quickInput.state();
        if (asked?.title.includes('Choose a workspace')) return `asked "Choose a workspace": ${asked.items.join(', ')}`;
        return (await workbench.notifications()).some((message) => copiedFor('first').test(message)) && 'copied';
      });
      assert.equal(outcome, 'copied', `round ${round}: the command lost its row`);
      assert.ok(
        !(await workbench.notifications()).some((message) => copiedFor('other').test(message)),
        `round ${round}: nothing was copied for other`,
      );
      await workbench.waitForTreeRow(stoppedRow('other', other));
      await workbench.runCommand('Notifications: Clear All Notifications');
      await workbench.until('the notifications to clear', async () => (await workbench.notifications()).length === 0);
    }
  });
});
