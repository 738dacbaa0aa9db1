import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { AgentClient } from '../../client/agent-client';
import { fakeGpuEnv } from '../support/fake-gpus';
import { RecordingDockerProxy } from '../support/recording-proxy';
import { useAgent } from '../support/use-agent';
import { workspaceRow } from './support/berth';
import type { CodeServer } from './support/code-server';
import { keepFailure } from './support/failure';
import { openBerthWindow, type BerthWindow } from './support/window';
import type { Workbench } from './support/workbench';

const MiB = 1024 ** 2;
const LIFECYCLE_DEADLINE_MS = 90_000;
const GPUS_VIEW = 'GPUs';
const WORKSPACES_VIEW = 'Workspaces';

/**
 * The GPUs of the fake nvidia-smi: two H100s (the first at 17 % with 1 GiB in use), an A100 in MIG
 * mode with two slices, and a T4 that reports neither memory use nor utilization.
 */
const FIXTURE = {
  gpus: [
    ['0', 'GPU-0b1f2a3c-4d5e-6f70-8192-a3b4c5d6e7f8', 'NVIDIA H100 80GB HBM3', '81559', '1024', '17', 'Disabled'],
    ['1', 'GPU-1c2d3e4f-5a6b-7c8d-9eaf-b0c1d2e3f4a5', 'NVIDIA H100 80GB HBM3', '81559', '0', '0', 'Disabled'],
    ['2', 'GPU-5d5b3c2e-8f1a-4b6c-9d7e-0a1b2c3d4e5f', 'NVIDIA A100-SXM4-40GB', '40960', '[N/A]', '[N/A]', 'Enabled'],
    ['3', 'GPU-3e4f5a6b-7c8d-9eaf-b0c1-d2e3f4a5b6c7', 'Tesla T4', '15360', '[N/A]', '[Not Supported]', '[N/A]'],
  ].map(([index, uuid, name, total, used, util, mig]) => ({
    index,
    uuid,
    name,
    'memory.total': total,
    'memory.used': used,
    'utilization.gpu': util,
    'mig.mode.current': mig,
    ...(index === '2'
      ? {
          migDevices: [
            { profile: '3g.20gb', device: 0, uuid: 'MIG-e07a497d-1bb6-5a42-b670-1c33bf55ab6e' },
            { profile: '2g.10gb', device: 1, uuid: 'MIG-8b4a3c6d-2ee1-5f07-a1c3-44d2e9f0b1a7' },
          ],
        }
      : {}),
  })),
};

/**
 * The views of what users of Coder and Container Tools expect, in the packaged extension in
 * code-server against a real agent with fake GPUs: live usage under a running workspace, the GPU
 * view, the hosts' status-bar item, and a vscode:// link that opens a workspace. The steps build on
 * each other, in order.
 */
describe('e2e: usage rows, GPU view, status bar and links in the Berth extension', function () {
  this.timeout(300_000);
  let proxy: RecordingDockerProxy;
  let fixture: string;
  before(async () => {
    fixture = path.join(mkdtempSync(path.join(os.tmpdir(), 'berth-e2e-gpus-')), 'gpus.json');
    writeFileSync(fixture, JSON.stringify(FIXTURE));
    proxy = await RecordingDockerProxy.start();
  });
  const agent = useAgent(() => ({
    args: ['--docker-socket', proxy.socketPath, '--idle-interval', '1s'],
    env: fakeGpuEnv(fixture),
  }));
  let client: AgentClient;
  let berthWindow: BerthWindow;
  let server: CodeServer;
  let workbench: Workbench;

  before(async () => {
    const token = agent.token('alice');
    client = await agent.connect(token);
    await client.request('workspace.create', { name: 'train', memory: 512 * MiB, cpus: 2, gpus: 1, gpuModel: 'h100' });
    await client.request('workspace.create', { name: 'notes', memory: 256 * MiB, cpus: 1 });
    await client.request('workspace.stop', { name: 'notes' });
    berthWindow = await openBerthWindow({ host: { url: agent.url, name: 'Lab Host', token, user: 'alice' } });
    ({ server, workbench } = berthWindow);
    await workbench.waitForTreeRow(workspaceRow('train', 'running'), LIFECYCLE_DEADLINE_MS);
  });

  afterEach(async function () {
    await keepFailure(this.currentTest, 'views', { workbench, server, agentLog: () => agent.log });
  });

  after(async () => {
    await berthWindow?.close();
    await proxy?.close();
  });

  it('shows CPU, memory and GPU use under a running workspace once it is expanded, refreshed while shown', async () => {
    const rows = await workbench.treeRows(WORKSPACES_VIEW);
    assert.ok(!rows.some((row) => row.startsWith('CPU')), `no usage rows before expanding: ${rows.join(' | ')}`);
    await workbench.expandTreeRow(workspaceRow('train', 'running'), 30_000, WORKSPACES_VIEW);
    await workbench.waitForTreeRow(/^CPU \d[\d.]* cores? of 2 \(\d+%\)$/, 30_000, WORKSPACES_VIEW);
    await workbench.waitForTreeRow(/^Memory \d[\d.]* (MiB|GiB) of 512 MiB \(\d+%\)$/, 30_000, WORKSPACES_VIEW);
    await workbench.waitForTreeRow(/^GPU [01] \d+% · \d[\d.]* (MiB|GiB) of 79\.6 GiB$/, 30_000, WORKSPACES_VIEW);
    await workbench.screenshot('views-1-usage-rows');
    // The rows keep refreshing while expanded: a busy loop in the container shows (at 0.1 core or more:
    // this machine's cores are shared, so how much the loop gets is not for the test to say).
    const { workspace } = await client.request('workspace.get', { name: 'train' });
    const spin = ['exec', '-d', `berth-${workspace.id}`, 'timeout', '120', 'sh', '-c', 'while :; do :; done'];
    const started = spawnSync('docker', spin, { encoding: 'utf8' });
    assert.equal(started.status, 0, started.stderr);
    await workbench.waitForTreeRow(/^CPU (0\.[1-9]\d*|[1-9][\d.]*) cores? of 2 \(\d+%\)$/, 60_000, WORKSPACES_VIEW);
    await workbench.screenshot('views-1b-usage-rows-busy');
    const stopped = await workbench.treeRows(WORKSPACES_VIEW);
    assert.ok(
      stopped.some((row) => /^notes stopped/.test(row)),
      'the stopped workspace is listed',
    );
    await workbench.screenshot('views-1-usage-rows');
  });

  it('lists each GPU and MIG slice with model, memory, utilization, holder and room', async () => {
    await workbench.waitForTreeRow(/^Lab Host 4 free · 4 GPUs · 2 MIG slices$/, 30_000, GPUS_VIEW);
    await workbench.waitForTreeRow(/^[01] · H100 80GB HBM3 held by train · \d+% · /, 30_000, GPUS_VIEW);
    await workbench.waitForTreeRow(/^[01] · H100 80GB HBM3 free · /, 30_000, GPUS_VIEW);
    await workbench.waitForTreeRow('2 · A100-SXM4-40GB MIG mode: assigned by slice · 40 GiB', 30_000, GPUS_VIEW);
    await workbench.waitForTreeRow('2:0 · MIG 3g.20gb free · 20 GiB', 30_000, GPUS_VIEW);
    await workbench.waitForTreeRow('3 · Tesla T4 free · 15 GiB', 30_000, GPUS_VIEW);
    await workbench.screenshot('views-2-gpu-view');
  });

  it('counts hosts and running workspaces in the status bar, and opens the Berth view on a click', async () => {
    const item = workbench.page.locator('.part.statusbar .statusbar-item', { hasText: '1 host · 1 running' });
    await workbench.until('the hosts item in the status bar', () => item.isVisible());
    await workbench.runCommand('View: Show Explorer');
    await workbench.until('the Berth view to be hidden', async () => !(await workbench.treeRows(GPUS_VIEW)).length);
    await item.click();
    await workbench.waitForTreeRow(/^Lab Host \d free · 4 GPUs/, 30_000, GPUS_VIEW);
  });

  it('updates the GPU view and the status bar from events when a workspace stops', async () => {
    await client.request('workspace.stop', { name: 'train' });
    await workbench.waitForTreeRow(/^Lab Host 5 free · 4 GPUs · 2 MIG slices$/, 30_000, GPUS_VIEW);
    await workbench.waitForNoTreeRow(/held by train/, 30_000, GPUS_VIEW);
    await workbench.waitForNoTreeRow(/^CPU /, 30_000, WORKSPACES_VIEW);
    const item = workbench.page.locator('.part.statusbar .statusbar-item', { hasText: '1 host · 0 running' });
    await workbench.until('the status bar to count no running workspace', () => item.isVisible());
  });

  it('opens a workspace from a vscode:// link, and refuses unknown hosts, workspaces and malformed links', async () => {
    const openLink = async (link: string) => {
      await workbench.runCommand('Developer: Open URL');
      await workbench.quickInput.typeAndEnter(link);
      // VS Code's own question before a link reaches an extension (the link came from outside).
      await workbench.dialog.waitFor("Allow 'Berth' extension to open this URI?");
      await workbench.dialog.click('Open');
    };
    await openLink('vscode://berth.berth/open?host=Lab%20Host&workspace=notes');
    await workbench.waitForNotification('Berth: notes on Lab Host is stopped. Connect to it?');
    const selected = workbench.page.locator('.part.sidebar .monaco-list-row.selected', { hasText: 'notes' });
    await workbench.until('the linked workspace to be selected in the tree', () => selected.isVisible());
    await workbench.screenshot('views-3-link');
    await workbench.runCommand('Notifications: Clear All Notifications');
    await openLink('vscode://berth.berth/open?host=elsewhere&workspace=notes');
    await workbench.waitForNotification(
      /^Berth: the link opens workspace "notes" on host "elsewhere", which is not among/,
    );
    await openLink('vscode://berth.berth/open?host=Lab%20Host&workspace=ghost');
    await workbench.waitForNotification('Berth: Lab Host has no workspace "ghost" that you can see.');
    await openLink('vscode://berth.berth/open?host=Lab%20Host&workspace=..%2Fetc');
    await workbench.waitForNotification(/^Berth: this link cannot be opened: the link's workspace "\.\.\/etc" must be/);
  });
});
