import * as assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { Writable } from 'node:stream';
import type { AgentClient } from '../../client/agent-client';
import { execInWorkspace } from '../../client/exec';
import { defaultSecretsRunDir } from '../../agent/secrets/stage';
import { useAgent } from '../support/use-agent';
import { waitFor } from '../support/wait';
import { connectedHostRow, workspaceRow } from './support/berth';
import type { CodeServer } from './support/code-server';
import { keepFailure } from './support/failure';
import { openBerthWindow, type BerthWindow } from './support/window';
import type { Workbench } from './support/workbench';

const SMALL = { memory: 256 * 1024 ** 2, cpus: 1 };
/** Creating a workspace waits for its sshd; Docker on a busy machine can be slow. */
const DEADLINE_MS = 90_000;

/** What `command` prints in workspace `name`, through the agent. */
async function printed(client: AgentClient, name: string, command: string[]): Promise<string> {
  let out = '';
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      out += chunk.toString();
      done();
    },
  });
  await execInWorkspace(client, { name }, command, { stdout: sink, stderr: sink, stdin: null });
  return out;
}

/** A secret set in VS Code reaches the workspace made with it; the window shows its name, never its value. */
describe('e2e: secrets in VS Code', function () {
  this.timeout(300_000);
  const agent = useAgent();
  const value = `e2e-value-${randomBytes(8).toString('hex')}`;
  let client: AgentClient;
  let berthWindow: BerthWindow;
  let server: CodeServer;
  let workbench: Workbench;
  let runDir = '';
  const hostRow = connectedHostRow('Lab Host', 'alice');

  before(async () => {
    runDir = defaultSecretsRunDir(agent.stateDir);
    const token = agent.token('alice');
    client = await agent.connect(token);
    berthWindow = await openBerthWindow({ host: { url: agent.url, name: 'Lab Host', token, user: 'alice' } });
    ({ server, workbench } = berthWindow);
  });

  afterEach(async function () {
    await keepFailure(this.currentTest, 'secrets', { workbench, server, agentLog: () => agent.log });
  });

  after(async () => {
    await berthWindow?.close();
    // Runs once the agent is gone (hooks after useAgent's): its containers are removed by then.
    if (runDir) await fs.rm(runDir, { recursive: true, force: true });
  });

  it('sets a secret from the host menu: a name, then a password box that shows no value', async () => {
    await workbench.contextMenu(hostRow, 'Set Secret…');
    await workbench.quickInput.waitForTitleOrPrompt('Set Secret on Lab Host');
    await workbench.quickInput.input.fill('bad name');
    await workbench.quickInput.input.press('Enter');
    await workbench.quickInput.waitForTitleOrPrompt('must be 1–64 letters');
    await workbench.quickInput.typeAndEnter('API_TOKEN');
    await workbench.quickInput.waitForTitleOrPrompt('Value of API_TOKEN');
    await workbench.quickInput.input.fill(value);
    assert.equal(await workbench.quickInput.input.getAttribute('type'), 'password');
    await workbench.screenshot('secrets-password-box');
    await workbench.quickInput.input.press('Enter');
    await workbench.waitForNotification(/Secret API_TOKEN set\./);
    const { secrets } = await client.request('secret.list', {});
    assert.deepEqual(
      secrets.map((s) => s.name),
      ['API_TOKEN'],
    );
  });

  it('lists the secret by name, with the workspace made with it, and the workspace has its value', async () => {
    // The same value as the test above sets in the window, so this test stands alone.
    await client.request('secret.set', { name: 'API_TOKEN', value });
    await client.request('workspace.create', {
      name: 'box',
      secrets: [{ key: 'API_TOKEN', env: 'API_TOKEN' }],
      ...SMALL,
    });
    await workbench.waitForTreeRow(workspaceRow('box', 'running'), DEADLINE_MS);
    await workbench.contextMenu(hostRow, 'Show Secrets');
    await workbench.quickInput.waitForTitleOrPrompt('Your secrets on Lab Host (1)');
    await waitFor('the secret in the list', async () =>
      (await workbench.quickInput.state())?.items.some((item) => item.includes('API_TOKEN')),
    );
    await workbench.screenshot('secrets-list');
    const list = await workbench.page.locator('.quick-input-widget').innerText();
    assert.match(list, /API_TOKEN/);
    assert.match(list, /used by box/);
    await workbench.quickInput.close();
    assert.ok(!(await workbench.page.content()).includes(value), 'the window shows the value');
    assert.equal(await printed(client, 'box', ['sh', '-c', 'printf %s "$API_TOKEN"']), value);
  });
});
