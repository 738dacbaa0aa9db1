import * as assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { requireDocker } from '../support/docker';
import { CLIENT_KEY, REMOTE_HOME, TEST_SSHD_PORT, resetRemote, setUpTestSshd } from '../support/remote-host';
import { connectedHostRow, workspaceRow } from './support/berth';
import type { CodeServer } from './support/code-server';
import { keepFailure } from './support/failure';
import { openBerthWindow, type BerthWindow } from './support/window';
import type { Workbench } from './support/workbench';

const execFileAsync = promisify(execFile);
/** Installing the agent over SSH, then creating a workspace (its sshd must answer). */
const CONNECT_DEADLINE_MS = 60_000;
const LIFECYCLE_DEADLINE_MS = 90_000;

/**
 * The packaged extension in code-server adds this machine's test sshd (127.0.0.1:2222, user
 * berthremote) as a host by an alias of the user's SSH config, as a person would: it asks about the
 * unknown host key, installs the agent it carries, and the workspace made there is entered with the
 * stock ssh through ProxyJump.
 */
describe('e2e: a host reached over SSH, in code-server', function () {
  this.timeout(240_000);
  let berthWindow: BerthWindow;
  let home: string;
  let server: CodeServer;
  let workbench: Workbench;

  before(async function () {
    requireDocker();
    const problem = setUpTestSshd();
    if (problem) {
      console.log(`    skipped: the test sshd could not be set up: ${problem}`);
      this.skip();
    }
    await resetRemote();
    berthWindow = await openBerthWindow({
      env: { SSH_AUTH_SOCK: '' },
      // The user's SSH config: an alias for the test sshd.
      prepareHome: async (fakeHome) => {
        await fs.mkdir(path.join(fakeHome, '.ssh'), { mode: 0o700 });
        const config = ['Host remote-lab', '  HostName 127.0.0.1', `  Port ${TEST_SSHD_PORT}`, '  User berthremote'];
        await fs.writeFile(
          path.join(fakeHome, '.ssh', 'config'),
          `${[...config, `  IdentityFile ${CLIENT_KEY}`].join('\n')}\n`,
        );
      },
    });
    ({ home, server, workbench } = berthWindow);
  });

  afterEach(async function () {
    await keepFailure(this.currentTest, 'remote', {
      workbench,
      server,
      agentLog: () => fs.readFile(path.join(REMOTE_HOME, '.local/state/berth/agent.log'), 'utf8').catch(() => ''),
    });
  });

  after(async () => {
    await berthWindow?.close();
    await resetRemote();
  });

  it('adds a host over SSH by an alias of the SSH config, asking once about its host key', async () => {
    await workbench.runCommand('Berth: Add Host');
    await workbench.quickInput.waitForTitleOrPrompt('Add Berth Host');
    await workbench.quickInput.typeAndEnter('Over SSH');
    await workbench.quickInput.waitForTitleOrPrompt('Add Berth Host over SSH (1/2)');
    await workbench.quickInput.typeAndEnter('berthremote@remote-lab');
    await workbench.quickInput.waitForTitleOrPrompt('Add Berth Host over SSH (2/2)');
    assert.equal((await workbench.quickInput.state())?.value, 'remote-lab', 'the name defaults to the host');
    await workbench.quickInput.typeAndEnter('remote-lab');
    await workbench.dialog.waitFor(
      /authenticity of host \[127\.0\.0\.1\]:2222 can't be established/,
      CONNECT_DEADLINE_MS,
    );
    await workbench.screenshot('remote-1-host-key');
    await workbench.dialog.click('Trust and Connect');
    await workbench.waitForTreeRow(connectedHostRow('remote-lab', 'berthremote'), CONNECT_DEADLINE_MS);
    const knownHosts = await fs.readFile(path.join(home, '.ssh', 'known_hosts'), 'utf8');
    assert.match(knownHosts, /^\[127\.0\.0\.1\]:2222 ssh-ed25519 /, 'the accepted key went to known_hosts');
    await workbench.screenshot('remote-2-connected');
  });

  it('creates a workspace on it through the tunnel', async () => {
    await workbench.runCommand('Berth: Create Workspace');
    await workbench.quickInput.waitForTitleOrPrompt('New workspace on remote-lab (1/');
    await workbench.quickInput.typeAndEnter('far');
    await workbench.quickInput.waitForTitleOrPrompt('image');
    await workbench.quickInput.pick('berth-workspace:latest');
    await workbench.quickInput.waitForTitleOrPrompt('CPUs');
    await workbench.quickInput.pick('1 CPU');
    await workbench.quickInput.waitForTitleOrPrompt('memory');
    await workbench.quickInput.pick('1 GiB');
    await workbench.quickInput.waitForTitleOrPrompt('stop when idle');
    await workbench.quickInput.pick('Host default');
    await workbench.waitForTreeRow(workspaceRow('far', 'running'), LIFECYCLE_DEADLINE_MS);
    await workbench.screenshot('remote-3-workspace');
  });

  it('writes an SSH config with which the stock ssh enters the workspace through ProxyJump', async () => {
    await workbench.clickInlineAction(workspaceRow('far', 'running'), 'Connect to Workspace');
    await workbench.dialog.waitFor(/May it add one line to ~\/\.ssh\/config/);
    await workbench.dialog.click('Add Include Line');
    await workbench.waitForNotification(/needs the Remote - SSH extension/);
    const managed = await fs.readFile(path.join(home, '.ssh', 'berth', 'config'), 'utf8');
    assert.match(managed, /^Host berth\.remote-lab\n {2}HostName 127\.0\.0\.1\n {2}Port 2222\n {2}User berthremote\n/m);
    assert.match(managed, /^Host berth\.remote-lab\.far\n(?: {2}.*\n)* {2}ProxyJump berth\.remote-lab$/m);
    const options = ['-o', 'BatchMode=yes', '-o', 'StrictHostKeyChecking=yes', '-o', 'ConnectTimeout=10'];
    const config = path.join(home, '.ssh', 'config');
    const { stdout } = await execFileAsync('ssh', ['-F', config, ...options, 'berth.remote-lab.far', 'echo inside'], {
      encoding: 'utf8',
      timeout: 30_000,
    });
    assert.equal(stdout.trim(), 'inside');
  });
});
