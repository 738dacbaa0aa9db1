import * as assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { berth } from '../support/agent-process';
import { cliEnv } from '../support/cli';
import { useAgent } from '../support/use-agent';
import { answerAddHost, connectedHostRow, workspaceRow } from './support/berth';
import type { CodeServer } from './support/code-server';
import { keepFailure } from './support/failure';
import { openBerthWindow, type BerthWindow } from './support/window';
import type { Workbench } from './support/workbench';

/**
 * devcontainer.json's postAttachCommand when VS Code's Connect attaches (issue 13): its output in
 * the "Berth: postAttachCommand" channel, a failure shown, and the hand-off (here the terminal, as
 * code-server has no Remote-SSH) made all the same.
 */
describe('e2e: postAttachCommand on Connect', function () {
  this.timeout(300_000);
  const agent = useAgent();
  let cli: NodeJS.ProcessEnv;
  let project: string;
  let berthWindow: BerthWindow;
  let server: CodeServer;
  let workbench: Workbench;

  before(async () => {
    cli = cliEnv(agent.url, agent.token('alice'));
    project = await fs.mkdtemp(path.join(os.tmpdir(), 'berth-attach-'));
    await fs.mkdir(path.join(project, '.devcontainer'));
    const definition = {
      image: 'berth-workspace:latest',
      postAttachCommand: { greet: 'echo hello-from-attach; echo attached >> ~/attached', broken: 'exit 3' },
    };
    await fs.writeFile(path.join(project, '.devcontainer', 'devcontainer.json'), JSON.stringify(definition));
    const created = berth(['create', 'attach', '--devcontainer', project, '--quiet'], cli);
    assert.equal(created.code, 0, created.stderr);
    berthWindow = await openBerthWindow({ settings: { 'terminal.integrated.gpuAcceleration': 'off' } });
    ({ server, workbench } = berthWindow);
  });

  afterEach(async function () {
    await keepFailure(this.currentTest, 'post-attach', { workbench, server, agentLog: () => agent.log });
  });

  after(async () => {
    await berthWindow?.close();
    await fs.rm(project, { recursive: true, force: true });
    if (cli?.HOME) await fs.rm(cli.HOME, { recursive: true, force: true });
  });

  it('runs it as Connect attaches: output in its channel, the failure shown, the terminal opened all the same', async () => {
    await workbench.runCommand('Berth: Add Host');
    await answerAddHost(workbench, { url: agent.url, name: 'Lab Host', token: agent.token('alice') });
    await workbench.waitForTreeRow(connectedHostRow('Lab Host', 'alice'));
    await workbench.waitForTreeRow(workspaceRow('attach', 'running'));
    await workbench.runCommand('Berth: Connect to Workspace');
    await workbench.quickInput.waitForTitleOrPrompt('Choose a workspace');
    await workbench.quickInput.pick('attach');
    await workbench.dialog.waitFor(/May it add one line to ~\/\.ssh\/config/);
    await workbench.dialog.click('Add Include Line');
    await workbench.clickNotificationButton('Open Terminal Instead', /needs the Remote - SSH extension/);
    const warning = await workbench.waitForNotification(
      /^attach: postAttachCommand broken failed \(exit code 3\); connecting all the same\.$/,
      60_000,
    );
    assert.ok(await warning.getByRole('button', { name: 'Show Output' }).isVisible());
    const panel = workbench.page.locator('.part.panel');
    await workbench.until(
      'the terminal "Berth: attach"',
      async () => (await panel.isVisible()) && (await panel.innerText()).includes('Berth: attach'),
    );
    await workbench.screenshot('post-attach-1-terminal-and-warning');
    // The command ran in the workspace, once, as its user.
    const ran = berth(['exec', 'attach', '--', 'cat', 'attached'], cli);
    assert.equal(ran.stdout, 'attached\n', ran.stderr);
    await workbench.clickNotificationButton('Show Output', /postAttachCommand broken failed/);
    await workbench.until('the postAttachCommand output in its channel', async () =>
      // The editor draws spaces as no-break spaces.
      /hello-from-attach[\s\S]*postAttachCommand broken failed \(exit code 3\)/.test(
        (await panel.innerText()).replace(/\u00a0/g, ' '),
      ),
    );
    await workbench.screenshot('post-attach-2-output-channel');
  });
});
