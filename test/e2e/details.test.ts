import * as assert from 'node:assert/strict';
import type { AgentClient } from '../../client/agent-client';
import { useAgent } from '../support/use-agent';
import type { CodeServer } from './support/code-server';
import { workspaceRow } from './support/berth';
import { keepFailure } from './support/failure';
import { openBerthWindow, type BerthWindow } from './support/window';
import type { Workbench } from './support/workbench';

const SMALL = { memory: 256 * 1024 ** 2, cpus: 1 };
/** Creating a workspace waits for its sshd; Docker on a busy machine can be slow. */
const DEADLINE_MS = 90_000;

/** The text of the active editor as drawn (Monaco draws spaces as no-break spaces). */
async function editorText(workbench: Workbench): Promise<string> {
  const lines = await workbench.page.locator('.part.editor .monaco-editor .view-lines .view-line').allInnerTexts();
  return lines.map((line) => line.replace(/\u00a0/g, ' ')).join('\n');
}

describe('e2e: Show Details, a read-only document that follows the workspace', function () {
  this.timeout(300_000);
  const agent = useAgent();
  let client: AgentClient;
  let berthWindow: BerthWindow;
  let server: CodeServer;
  let workbench: Workbench;

  before(async () => {
    const token = agent.token('alice');
    client = await agent.connect(token);
    await client.request('workspace.create', { name: 'detailed', ...SMALL });
    berthWindow = await openBerthWindow({ host: { url: agent.url, name: 'Lab Host', token, user: 'alice' } });
    ({ server, workbench } = berthWindow);
  });

  afterEach(async function () {
    await keepFailure(this.currentTest, 'details', { workbench, server, agentLog: () => agent.log });
  });

  after(async () => {
    await berthWindow?.close();
  });

  it("opens the workspace's fields and history from its menu, read-only", async () => {
    await workbench.waitForTreeRow(workspaceRow('detailed', 'running'), DEADLINE_MS);
    await workbench.contextMenu(workspaceRow('detailed', 'running'), 'Show Details');
    const text = await workbench.until('the details document to show the workspace', async () => {
      const shown = await editorText(workbench);
      return /History \(oldest first\)/.test(shown) && shown;
    });
    await workbench.screenshot('details-running');
    for (const line of [
      /^Berth workspace detailed$/m,
      /^Host +Lab Host$/m,
      /^State +running since \d{4}-\d\d-\d\d \d\d:\d\d \S+$/m,
      /^Memory +256 MiB$/m,
      /^SSH +dev@127\.0\.0\.1 port \d+$/m,
      /^ {2}\d{4}-\d\d-\d\d \d\d:\d\d \S+ {2}created$/m,
      /^ {2}\d{4}-\d\d-\d\d \d\d:\d\d \S+ {2}started$/m,
    ]) {
      assert.match(text, line);
    }
    const tab = workbench.page.locator('.part.editor .tab.active .label-name');
    assert.equal((await tab.innerText()).trim(), 'detailed details');
    // Typing changes nothing: the document is read-only.
    await workbench.page.locator('.part.editor .monaco-editor .view-lines').click();
    await workbench.page.keyboard.type('typed');
    assert.doesNotMatch(await editorText(workbench), /typed/);
    await workbench.page.keyboard.press('Escape');
  });

  it('shows the stop, with its reason, once the workspace is stopped elsewhere', async () => {
    await client.request('workspace.stop', { name: 'detailed' });
    const text = await workbench.until('the details document to show the stop', async () => {
      const shown = await editorText(workbench);
      return /^ {2}\S+ \S+ \S+ {2}stopped \(user\)$/m.test(shown) && shown;
    });
    await workbench.screenshot('details-stopped');
    assert.match(text, /^State +stopped since /m);
    assert.match(text, /^Last stop +user, \d{4}-\d\d-\d\d \d\d:\d\d /m);
  });
});
