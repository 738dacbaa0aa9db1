import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { z } from 'zod';
import { Workspace } from '../../protocol';
import { AgentProcess, berth } from '../support/agent-process';
import { cliEnv } from '../support/cli';
import { useAgent } from '../support/use-agent';
import { waitFor } from '../support/wait';
import { WORKSPACES_VIEW, activations, answerAddHost, connectedHostRow, rowIcon, workspaceRow } from './support/berth';
import type { CodeServer } from './support/code-server';
import { keepFailure } from './support/failure';
import { openBerthWindow, type BerthWindow } from './support/window';
import type { Workbench } from './support/workbench';

/** How long a change made elsewhere may take to show in the tree: events, not polling. */
const EVENT_DEADLINE_MS = 5_000;
/** Creating or starting a workspace waits for its sshd; Docker on a busy machine can be slow. */
const LIFECYCLE_DEADLINE_MS = 90_000;
/** The SSH alias of workspace made-in-ui on host "Lab Host": `berth.<host id>.<workspace>`. */
const SSH_ALIAS = 'berth.lab-host.made-in-ui';
/** The row of a running workspace: state, the idle stop to come (local time), then `sizes`. */
const runningRow = (name: string, sizes: string) => new RegExp(`^${name} running · stops \\d\\d:\\d\\d · ${sizes}$`);

/**
 * The packaged extension in a real VS Code (code-server in Chromium), against a real agent on real
 * Docker, driven as a person does: welcome view, palette, multi-step inputs, context menus, modal
 * dialogs. The steps run in order and build on each other.
 */
describe('e2e: Berth extension in code-server', function () {
  this.timeout(240_000);
  const agent = useAgent();
  let cli: NodeJS.ProcessEnv;
  let berthWindow: BerthWindow;
  let home: string;
  let server: CodeServer;
  let workbench: Workbench;
  const as = (args: string[]) => {
    const run = berth(args, cli);
    assert.equal(run.code, 0, `berth ${args.join(' ')} exited ${run.code}:\n${run.stderr}`);
    return run.stdout;
  };
  const listed = () => z.array(Workspace).parse(JSON.parse(as(['ls', '--json'])));

  before(async () => {
    cli = cliEnv(agent.url, agent.token('alice'));
    as(['create', 'pre', '--memory', '512m', '--cpus', '1']);
    // The DOM renderer draws the terminal's text as text, which the test reads.
    berthWindow = await openBerthWindow({ settings: { 'terminal.integrated.gpuAcceleration': 'off' } });
    ({ home, server, workbench } = berthWindow);
  });

  afterEach(async function () {
    await keepFailure(this.currentTest, 'extension', { workbench, server, agentLog: () => agent.log });
  });

  after(async () => {
    await berthWindow?.close();
    if (cli?.HOME) await fs.rm(cli.HOME, { recursive: true, force: true });
  });

  it('offers "Add Host" in the welcome view while no host is configured', async () => {
    const welcome = await workbench.until('the welcome view', () => workbench.welcomeView(WORKSPACES_VIEW));
    assert.match(welcome, /^No Berth host yet\./);
    assert.match(welcome, /^Add Host$/m);
    assert.deepEqual(await workbench.treeRows(WORKSPACES_VIEW), []);
    await workbench.screenshot('extension-0-welcome');
  });

  it('adds a host from the welcome view and shows it connected as user@host', async () => {
    await workbench.clickWelcomeButton(WORKSPACES_VIEW, 'Add Host');
    await answerAddHost(workbench, { url: agent.url, name: 'Lab Host', token: agent.token('alice') });
    const row = await workbench.waitForTreeRow(connectedHostRow('Lab Host', 'alice'));
    assert.equal(await row.getAttribute('aria-level'), '1');
    assert.equal(await rowIcon(row), 'server');
    assert.equal(await workbench.welcomeView(WORKSPACES_VIEW), null);
  });

  it('logs its activation time on the Berth output channel', async () => {
    const [activation] = await waitFor('the Berth channel to log activation', async () => {
      const logged = activations(await server.outputChannel('Berth'));
      return logged.length > 0 && logged;
    });
    assert.ok(activation!.ms < 1_000, `activation took ${activation!.ms} ms`);
  });

  it('lists the workspace made with the CLI beforehand under the host', async () => {
    const row = await workbench.waitForTreeRow(runningRow('pre', '1 CPU · 512 MiB'));
    assert.equal(await row.getAttribute('aria-level'), '2');
    assert.equal(await rowIcon(row), 'vm-running');
    const [host, pre, ...more] = await workbench.treeRows(WORKSPACES_VIEW);
    assert.equal(host, connectedHostRow('Lab Host', 'alice'));
    assert.match(pre ?? '', runningRow('pre', '1 CPU · 512 MiB'));
    assert.deepEqual(more, []);
    await workbench.screenshot('extension-1-host-and-workspace');
  });

  it('creates a workspace from the palette through the multi-step input, and shows it running', async () => {
    await workbench.runCommand('Berth: Create Workspace');
    await workbench.quickInput.waitForTitleOrPrompt('New workspace on Lab Host (1/5): name');
    await workbench.quickInput.typeAndEnter('made-in-ui');
    await workbench.quickInput.waitForTitleOrPrompt('(2/5): image');
    const image = await workbench.quickInput.state();
    assert.ok(image?.items.includes('berth-workspace:latest'), 'the image list offers the host default');
    await workbench.quickInput.pick('berth-workspace:latest');
    await workbench.quickInput.waitForTitleOrPrompt('(3/5): CPUs');
    await workbench.quickInput.pick('1 CPU');
    await workbench.quickInput.waitForTitleOrPrompt('(4/5): memory');
    await workbench.quickInput.pick('1 GiB');
    await workbench.quickInput.waitForTitleOrPrompt('(5/5): stop when idle');
    await workbench.quickInput.pick('After 30 minutes');
    await workbench.waitForTreeRow(runningRow('made-in-ui', '1 CPU · 1 GiB'), LIFECYCLE_DEADLINE_MS);
    const made = listed().find((ws) => ws.name === 'made-in-ui');
    assert.equal(made?.state, 'running');
    assert.equal(made?.spec.idleTimeout, 1800);
    await (await workbench.waitForTreeRow(workspaceRow('made-in-ui', 'running'))).hover(); // shows the inline actions
    await workbench.screenshot('extension-2-running');
  });

  it('stops a workspace from its context menu', async () => {
    await workbench.contextMenu(workspaceRow('made-in-ui', 'running'), 'Stop Workspace');
    const row = await workbench.waitForTreeRow('made-in-ui stopped · 1 CPU · 1 GiB', LIFECYCLE_DEADLINE_MS);
    assert.equal(await rowIcon(row), 'vm-outline');
    assert.equal(listed().find((ws) => ws.name === 'made-in-ui')?.state, 'stopped');
    await workbench.screenshot('extension-3-stopped');
  });

  it('shows a start made with the CLI without a refresh, within seconds', async () => {
    as(['start', 'made-in-ui']);
    await workbench.waitForTreeRow(runningRow('made-in-ui', '1 CPU · 1 GiB'), EVENT_DEADLINE_MS);
  });

  it('deletes a workspace after the modal confirmation; the agent no longer lists it', async () => {
    await workbench.contextMenu(workspaceRow('pre', 'running'), 'Delete Workspace');
    await workbench.dialog.waitFor('Delete workspace "pre"?');
    await workbench.dialog.click('Delete');
    await workbench.waitForNoTreeRow(workspaceRow('pre', '\\S+'), LIFECYCLE_DEADLINE_MS);
    await workbench.waitForNotification(/^Deleted pre\. Its home volume \S+ was kept on Lab Host\.$/);
    assert.deepEqual(
      listed().map((ws) => ws.name),
      ['made-in-ui'],
    );
    await workbench.screenshot('extension-4-after-delete');
  });

  it('connects without Remote-SSH: asks to add the Include line, then offers Remote-SSH or a terminal', async () => {
    await workbench.clickInlineAction(workspaceRow('made-in-ui', 'running'), 'Connect to Workspace');
    await workbench.dialog.waitFor(/May it add one line to ~\/\.ssh\/config/);
    await workbench.screenshot('extension-5-include-dialog');
    await workbench.dialog.click('Add Include Line');
    // An error instead of the offer fails the test at once, with its words.
    const shown = await workbench.until('the Remote-SSH offer, or an error', async () =>
      (await workbench.notifications()).find((message) => /needs the Remote - SSH extension|^Could not/.test(message)),
    );
    assert.match(shown, /needs the Remote - SSH extension/);
    const offer = await workbench.waitForNotification(/needs the Remote - SSH extension/);
    for (const button of ['Install Remote-SSH', 'Open Terminal Instead']) {
      assert.ok(await offer.getByRole('button', { name: button }).isVisible(), `the offer has "${button}"`);
    }
    await workbench.until('the offer to finish fading in', () =>
      workbench.page.locator('.notification-fade-in-done', { hasText: 'needs the Remote - SSH' }).first().isVisible(),
    );
    const userConfig = await fs.readFile(path.join(home, '.ssh', 'config'), 'utf8');
    const include = `Include ${path.join(home, '.ssh', 'berth', 'config')}`;
    assert.ok(userConfig.split('\n').includes(include), `~/.ssh/config has "${include}":\n${userConfig}`);
    await workbench.screenshot('extension-6-remote-ssh-offer');
  });

  it('leaves an SSH config with which the stock ssh enters the workspace by its alias, host key checked', () => {
    const options = ['-o', 'BatchMode=yes', '-o', 'StrictHostKeyChecking=yes', '-o', 'ConnectTimeout=10'];
    const ssh = spawnSync('ssh', ['-F', path.join(home, '.ssh', 'config'), ...options, SSH_ALIAS, 'true'], {
      encoding: 'utf8',
      timeout: 30_000,
    });
    assert.equal(ssh.status, 0, `ssh exited ${ssh.status}:\n${ssh.stderr}`);
  });

  it('opens a terminal in the workspace over SSH when "Open Terminal Instead" is chosen', async () => {
    await workbench.clickNotificationButton('Open Terminal Instead', /needs the Remote - SSH extension/);
    const panel = workbench.page.locator('.part.panel');
    await workbench.until(
      'the terminal "Berth: made-in-ui"',
      async () => (await panel.isVisible()) && (await panel.innerText()).includes('Berth: made-in-ui'),
    );
    await workbench.until('a shell prompt of the workspace user in the terminal', async () =>
      /\bdev@\S+/.test(await panel.locator('.xterm-rows').innerText()),
    );
    await workbench.screenshot('extension-7-terminal');
  });

  it('shows a host with a bad token as a warning saying so, and its fix-it takes a new token', async () => {
    // Add Host refuses a bad token before saving it: the token goes bad later, revoked behind the window's back.
    const eve = agent.token('eve');
    await workbench.runCommand('Berth: Add Host');
    await answerAddHost(workbench, { url: agent.url, name: 'Bad Host', token: eve });
    await workbench.waitForTreeRow(connectedHostRow('Bad Host', 'eve'));
    const eveCli = cliEnv(agent.url, eve);
    const revoked = berth(['token', 'revoke', '--user', 'eve', '--all'], eveCli);
    assert.equal(revoked.code, 0, revoked.stderr);
    if (eveCli.HOME) await fs.rm(eveCli.HOME, { recursive: true, force: true });
    assert.equal(await rowIcon(await workbench.waitForTreeRow('Bad Host not connected')), 'warning');
    const hint = await workbench.waitForTreeRow(/^Token refused: click to enter a new one/);
    assert.equal(await hint.getAttribute('aria-level'), '2');
    assert.equal(await rowIcon(hint), 'warning');
    await workbench.screenshot('extension-8-bad-token');

    await hint.click();
    await workbench.quickInput.waitForTitleOrPrompt('New token for Bad Host');
    await workbench.quickInput.typeAndEnter(agent.token('bob'));
    await workbench.waitForTreeRow(connectedHostRow('Bad Host', 'bob'));
    await workbench.waitForNoTreeRow(/^Token refused/);
    await workbench.waitForTreeRow('No workspaces yet: create one');
    await workbench.screenshot('extension-9-fixed');
  });

  it("keeps a host's SSH aliases while it is unreachable, when another host's workspaces change", async () => {
    const managed = () => fs.readFile(path.join(home, '.ssh', 'berth', 'config'), 'utf8');
    assert.match(await managed(), new RegExp(`^Host ${SSH_ALIAS.replace(/\./g, '\\.')}$`, 'm'));
    const other = await AgentProcess.start();
    try {
      await workbench.runCommand('Berth: Add Host');
      await answerAddHost(workbench, { url: other.url, name: 'Other Host', token: other.token('carol') });
      await workbench.waitForTreeRow(connectedHostRow('Other Host', 'carol'));
      await agent.stop();
      await workbench.waitForTreeRow(/^Lab Host (reconnecting in \d+ s|not connected)$/);
      const created = berth(
        ['create', 'elsewhere', '--memory', '256m', '--cpus', '1'],
        cliEnv(other.url, other.token('carol')),
      );
      assert.equal(created.code, 0, created.stderr);
      const text = await waitFor(
        'the alias of the new workspace on the other host',
        async () => {
          const now = await managed();
          return now.includes('Host berth.other-host.elsewhere') && now;
        },
        LIFECYCLE_DEADLINE_MS,
      );
      assert.ok(text.includes(`Host ${SSH_ALIAS}\n`), `the unreachable host's alias is kept:\n${text}`);
    } finally {
      await other.destroy();
      await agent.restart();
    }
  });
});
