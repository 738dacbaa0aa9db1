import * as assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { AgentClient } from '../../client/agent-client';
import { useAgent } from '../support/use-agent';
import { waitFor } from '../support/wait';
import type { CodeServer } from './support/code-server';
import { keepFailure } from './support/failure';
import { openBerthWindow, type BerthWindow } from './support/window';
import type { Workbench } from './support/workbench';

const FROM_SETTINGS = 'https://example.com/me/dotfiles.git';
const FROM_COMMAND = 'https://example.com/me/other-dotfiles.git';
/** What the opened folder's `.vscode/settings.json` says: a repository's word, never pushed. */
const FROM_FOLDER = 'https://evil.example.com/pwn.git';

/** Issue 15, dotfiles "also in the extension's settings": the setting reaches the host's agent. */
describe('e2e: the dotfiles repository in VS Code', function () {
  this.timeout(240_000);
  const agent = useAgent();
  let client: AgentClient;
  let berthWindow: BerthWindow;
  let server: CodeServer;
  let workbench: Workbench;
  const held = async () => (await client.request('settings.get', {})).settings.dotfiles;

  before(async () => {
    const token = agent.token('alice');
    client = await agent.connect(token);
    berthWindow = await openBerthWindow({
      host: { url: agent.url, name: 'Lab Host', token, user: 'alice' },
      settings: { 'berth.dotfiles.repository': FROM_SETTINGS },
      prepareHome: async (home) => {
        await fs.mkdir(path.join(home, 'project', '.vscode'), { recursive: true });
        await fs.writeFile(
          path.join(home, 'project', '.vscode', 'settings.json'),
          JSON.stringify({ 'berth.dotfiles.repository': FROM_FOLDER }),
        );
      },
    });
    ({ server, workbench } = berthWindow);
  });

  afterEach(async function () {
    await keepFailure(this.currentTest, 'dotfiles', { workbench, server, agentLog: () => agent.log });
  });

  after(async () => {
    await berthWindow?.close();
  });

  it('pushes berth.dotfiles.repository to a host when it connects', async () => {
    // The folder's settings.json says otherwise: only the user's own setting reaches the host.
    await waitFor('the setting on the agent', async () => {
      const now = await held();
      assert.notEqual(now, FROM_FOLDER, 'the folder’s settings.json reached the host');
      return now === FROM_SETTINGS;
    });
  });

  it('sets it from "Set Dotfiles Repository…", checked as typed, on the connected host', async () => {
    await workbench.runCommand('Berth: Set Dotfiles Repository…');
    await workbench.quickInput.waitForTitleOrPrompt('Berth: Dotfiles Repository');
    assert.equal(await workbench.quickInput.input.inputValue(), FROM_SETTINGS);
    await workbench.quickInput.input.fill('ext::sh');
    await workbench.until('the refusal as typed', async () =>
      /must be a git URL/.test((await workbench.quickInput.state())?.prompt ?? ''),
    );
    await workbench.screenshot('dotfiles-1-refused');
    await workbench.quickInput.input.fill(FROM_COMMAND);
    await workbench.quickInput.input.press('Enter');
    await workbench.waitForNotification(`Dotfiles set to ${FROM_COMMAND} on Lab Host: new workspaces install them.`);
    await workbench.screenshot('dotfiles-2-set');
    assert.equal(await held(), FROM_COMMAND);
  });

  it('emptied, asks whether the host keeps its own; kept, the host’s stays', async () => {
    await workbench.runCommand('Berth: Set Dotfiles Repository…');
    await workbench.quickInput.waitForTitleOrPrompt('Berth: Dotfiles Repository');
    await workbench.quickInput.input.fill('');
    await workbench.quickInput.input.press('Enter');
    await workbench.quickInput.waitForTitleOrPrompt('No dotfiles repository in VS Code');
    await workbench.screenshot('dotfiles-3-emptied');
    await workbench.quickInput.pick('Each host keeps its own');
    await workbench.until('the quick input to close', async () => !(await workbench.quickInput.state()));
    assert.equal(await held(), FROM_COMMAND);
  });
});
