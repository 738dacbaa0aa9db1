import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as os from 'node:os';
import type { AgentClient } from '../../client/agent-client';
import { fakeGpuEnv } from '../support/fake-gpus';
import { RecordingDockerProxy } from '../support/recording-proxy';
import { useAgent } from '../support/use-agent';
import type { CodeServer } from './support/code-server';
import { connectedHostRow, rowIcon } from './support/berth';
import { keepFailure } from './support/failure';
import { openBerthWindow, type BerthWindow } from './support/window';
import type { Workbench } from './support/workbench';

const MiB = 1024 ** 2;
/** Creating a workspace waits for its sshd; Docker on a busy machine can be slow. */
const LIFECYCLE_DEADLINE_MS = 90_000;
const SMALL = { memory: 256 * MiB, cpus: 1 };
/** What "Copy SSH Command" says it copied: `Copied: ssh -F <config> <alias>`. */
const COPIED = /^Copied: ssh -F (\S+) (berth\.lab-host\.train)$/;

/**
 * The tree's rows as an admin sees them, in code-server at the default side-bar width, against a real
 * agent on a host with (fake) GPUs: state, GPUs and the idle stop first; "My Workspaces" and "All
 * Workspaces" with other users' workspaces by owner and without connect actions; and a Copy SSH
 * Command that works on a host where Connect was never used.
 */
describe('e2e: Berth tree rows in code-server', function () {
  this.timeout(300_000);
  // No GPU here: a fake nvidia-smi lists them, and a proxy in front of Docker drops the device requests.
  let proxy: RecordingDockerProxy;
  before(async () => {
    proxy = await RecordingDockerProxy.start();
    proxy.defaultRuntime = 'nvidia';
  });
  const agent = useAgent(() => ({ args: ['--docker-socket', proxy.socketPath], env: fakeGpuEnv('plain') }));
  let alice: AgentClient;
  let berthWindow: BerthWindow;
  let server: CodeServer;
  let workbench: Workbench;

  before(async () => {
    const token = agent.token('alice', true);
    alice = await agent.connect(token);
    const bob = await agent.connect(agent.token('bob'));
    await alice.request('workspace.create', { name: 'train', gpus: 1, ...SMALL });
    await alice.request('workspace.create', { name: 'web', ...SMALL });
    await alice.request('workspace.stop', { name: 'web' });
    await bob.request('workspace.create', { name: 'web', ...SMALL });
    berthWindow = await openBerthWindow({ host: { url: agent.url, name: 'Lab Host', token, user: 'alice' } });
    ({ server, workbench } = berthWindow);
  });

  afterEach(async function () {
    await keepFailure(this.currentTest, 'tree-rows', { workbench, server, agentLog: () => agent.log });
  });

  after(async () => {
    await berthWindow?.close();
    await proxy?.close();
  });

  it("leads each row with state, GPUs and the idle stop, and groups an admin's view by owner", async () => {
    await workbench.waitForTreeRow('My Workspaces 2', LIFECYCLE_DEADLINE_MS);
    // The (fake) driver reports its GPU in use, which can count as busy: then no idle stop is pending.
    const train = await workbench.waitForTreeRow(/^train running · 1× H100 · (stops \d\d:\d\d · )?1 CPU · 256 MiB$/);
    assert.equal(await train.getAttribute('aria-level'), '3');
    assert.equal(await rowIcon(train), 'vm-running');
    await workbench.waitForTreeRow('web stopped · 1 CPU · 256 MiB');
    await workbench.expandTreeRow('All Workspaces 3');
    // bob's web by its owner; alice's own rows are there too, bare.
    await workbench.waitForTreeRow(/^bob\/web running · stops \d\d:\d\d · 1 CPU · 256 MiB$/);
    const rows = await workbench.treeRows();
    assert.equal(rows.filter((row) => row === 'web stopped · 1 CPU · 256 MiB').length, 2, rows.join(' | '));
    await workbench.screenshot('tree-rows-1-admin');
  });

  it("offers no Connect, Open Terminal or Copy SSH Command on another user's workspace", async () => {
    const theirs = await workbench.openContextMenu(/^bob\/web running /);
    for (const item of ['Connect to Workspace', 'Open Terminal', 'Copy SSH Command']) {
      assert.ok(!theirs.some((entry) => entry.startsWith(item)), `bob/web: no "${item}" in ${theirs.join(', ')}`);
    }
    assert.ok(theirs.includes('Stop Workspace'), `an admin may stop it: ${theirs.join(', ')}`);
    await workbench.page.keyboard.press('Escape');
  });

  it('copies an SSH command that works at once, on a host where Connect was never used, with a labelled key', async () => {
    await workbench.contextMenu(/^train running /, 'Copy SSH Command');
    const message = await workbench.until('the copied command', async () =>
      (await workbench.notifications()).find((text) => COPIED.test(text)),
    );
    const [, config, alias] = COPIED.exec(message)!;
    const options = ['-o', 'BatchMode=yes', '-o', 'StrictHostKeyChecking=yes', '-o', 'ConnectTimeout=10'];
    const ssh = spawnSync('ssh', ['-F', config!, ...options, alias!, 'true'], { encoding: 'utf8', timeout: 30_000 });
    assert.equal(ssh.status, 0, `ssh as copied: ${ssh.stderr}`);
    const { keys } = await alice.request('user.keys', {});
    assert.deepEqual(
      keys.map((key) => key.comment),
      [`VS Code on ${os.hostname()}`],
    );
  });

  it('checks a token in Add Host before saving it: a refused one keeps the input open, saying why', async () => {
    await workbench.runCommand('Berth: Add Host');
    await workbench.quickInput.waitForTitleOrPrompt('Add Berth Host');
    await workbench.quickInput.typeAndEnter('Agent URL and token');
    await workbench.quickInput.waitForTitleOrPrompt('Add Berth Host (1/3)');
    await workbench.quickInput.typeAndEnter(agent.url);
    await workbench.quickInput.waitForTitleOrPrompt('Add Berth Host (2/3)');
    await workbench.quickInput.typeAndEnter('Second');
    await workbench.quickInput.waitForTitleOrPrompt('Add Berth Host (3/3)');
    await workbench.quickInput.input.fill('not-a-token');
    await workbench.quickInput.input.press('Enter');
    await workbench.quickInput.waitForTitleOrPrompt('The host refused this token');
    await workbench.screenshot('tree-rows-2-refused-token');
    assert.ok(!(await workbench.treeRows()).some((row) => row.startsWith('Second')), 'nothing saved');
    await workbench.quickInput.typeAndEnter(agent.token('carol'));
    await workbench.waitForTreeRow(connectedHostRow('Second', 'carol'));
  });
});
