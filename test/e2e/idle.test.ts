import * as assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import { z } from 'zod';
import type { AgentClient } from '../../client/agent-client';
import { Workspace } from '../../protocol';
import { berth } from '../support/agent-process';
import { cliEnv } from '../support/cli';
import { useAgent } from '../support/use-agent';
import { waitFor } from '../support/wait';
import type { CodeServer } from './support/code-server';
import { keepFailure } from './support/failure';
import { openBerthWindow, type BerthWindow } from './support/window';
import type { Workbench } from './support/workbench';

const MiB = 1024 ** 2;
const HOUR = 3600_000;
/**
 * The agent's idle monitor on seconds: a workspace nobody uses is warned 30 s before its stop, 40 s
 * after its start; keepalives default to 2 h and are capped at 3 h.
 */
const IDLE_ARGS = [
  ...['--idle-timeout', '40s', '--idle-warn-before', '30s', '--idle-interval', '1s'],
  ...['--keepalive-default', '2h', '--keepalive-max', '3h'],
];
/** The warning as the extension words it: `Berth: idler stops at 14:05: Keep Running · Stop Now (nobody …)`. */
const warningFor = (name: string) =>
  new RegExp(`^Berth: ${name} stops at \\d\\d:\\d\\d: Keep Running · Stop Now \\(\\S`);
/** What the extension says after an idle stop of a workspace it had warned of, offering Start. */
const stoppedFor = (name: string) => new RegExp(`^Berth: ${name} is stopped \\(idle\\) now: nobody was present`);

/**
 * Idle shutdown in the packaged extension, in code-server against a real agent whose idle monitor
 * runs on seconds: the warning notification, "Keep Running" and "Stop Now", the palette command with
 * its durations and the cap, and an idle stop shown in the tree. The steps run in order and build on each other.
 */
describe('e2e: idle shutdown in the Berth extension', function () {
  this.timeout(240_000);
  const agent = useAgent({ args: IDLE_ARGS });
  let client: AgentClient;
  let cli: NodeJS.ProcessEnv;
  let berthWindow: BerthWindow;
  let server: CodeServer;
  let workbench: Workbench;
  const listed = () => {
    const run = berth(['ls', '--json'], cli);
    assert.equal(run.code, 0, run.stderr);
    return z.array(Workspace).parse(JSON.parse(run.stdout));
  };
  const workspace = (name: string) => listed().find((ws) => ws.name === name);
  const running = (name: string) => waitFor(`${name} to run`, () => workspace(name)?.state === 'running', 90_000);
  /**
   * Clicks the action `label` of the warning matching `message`, and waits for the warning to go.
   * The warning is a progress notification (the kind the extension can withdraw); its actions are links.
   */
  const clickWarningAction = async (label: string, message: RegExp, timeoutMs?: number) => {
    const toast = await workbench.waitForNotification(message, timeoutMs);
    await toast.getByRole('link', { name: label }).click();
    await workbench.until(`the warning to close after "${label}"`, async () => !(await toast.isVisible()));
  };

  before(async () => {
    const token = agent.token('alice');
    cli = cliEnv(agent.url, token);
    client = await agent.connect(token);
    berthWindow = await openBerthWindow({ host: { url: agent.url, name: 'Lab Host', token, user: 'alice' } });
    ({ server, workbench } = berthWindow);
    // Warnings are events: the workspaces start once the window listens. "left" is left to stop;
    // "done" is created by the test that stops it from its warning, so its 30 s of warning are not
    // spent by the tests before it.
    await client.request('workspace.create', { name: 'left', memory: 256 * MiB, cpus: 1, idleTimeout: 1 });
    await client.request('workspace.create', { name: 'idler', memory: 256 * MiB, cpus: 1 });
  });

  afterEach(async function () {
    await keepFailure(this.currentTest, 'idle', { workbench, server, agentLog: () => agent.log });
  });

  after(async () => {
    await berthWindow?.close();
    if (cli?.HOME) await fs.rm(cli.HOME, { recursive: true, force: true });
  });

  it('warns before an idle stop, with "Keep Running" and "Stop Now"', async () => {
    await running('idler');
    const toast = await workbench.waitForNotification(warningFor('idler'), 60_000);
    for (const button of ['Keep Running', 'Stop Now']) {
      assert.ok(await toast.getByRole('link', { name: button }).isVisible(), `the warning has "${button}"`);
    }
    assert.ok(workspace('idler')?.idleStopAt, 'the agent has a deadline for idler');
    await workbench.screenshot('idle-1-warning');
  });

  it('keeps the workspace running for the agent’s default when "Keep Running" is clicked', async () => {
    const clickedAt = Date.now();
    await clickWarningAction('Keep Running', warningFor('idler'));
    // "until 15:05", or "until tomorrow 01:52" when the default keepalive runs past midnight.
    await workbench.waitForNotification(
      /^Berth: idler keeps running until (tomorrow )?\d\d:\d\d, even if nobody is present\.$/,
    );
    const keepUntil = Date.parse(workspace('idler')?.keepUntil ?? '');
    assert.ok(
      keepUntil >= clickedAt + 2 * HOUR - 1_000 && keepUntil <= Date.now() + 2 * HOUR,
      `keepUntil ${keepUntil}`,
    );
    await workbench.screenshot('idle-2-kept');
  });

  it('keeps it running for a duration from the palette, and says when the host capped it', async () => {
    await workbench.runCommand('Berth: Keep Workspace Running…');
    await workbench.quickInput.pick('idler');
    await workbench.quickInput.waitForTitleOrPrompt('Keep idler running');
    const pickedAt = Date.now();
    await workbench.quickInput.pick('4 hours');
    await workbench.waitForNotification(/^Berth: idler keeps running until .*the longest this host allows/);
    const keepUntil = Date.parse(workspace('idler')?.keepUntil ?? '');
    assert.ok(keepUntil >= pickedAt + 3 * HOUR - 1_000 && keepUntil <= Date.now() + 3 * HOUR, 'capped at 3 h');
  });

  it('stops the workspace at once when "Stop Now" is clicked: a user\'s stop, not an idle one', async () => {
    await client.request('workspace.create', { name: 'done', memory: 256 * MiB, cpus: 1, idleTimeout: 1 });
    await clickWarningAction('Stop Now', warningFor('done'), 60_000);
    await workbench.waitForTreeRow('done stopped · 1 CPU · 256 MiB', 60_000);
    assert.equal(workspace('done')?.stopReason, 'user');
  });

  it('shows a workspace the idle monitor stopped as "stopped (idle)" in the tree', async () => {
    await workbench.waitForTreeRow('left stopped (idle) · 1 CPU · 256 MiB', 90_000);
    const left = workspace('left');
    assert.equal(left?.state, 'stopped');
    assert.equal(left?.stopReason, 'idle');
    assert.equal(workspace('idler')?.state, 'running', 'the kept workspace still runs');
    // The warning went with the stop (before, it stayed, and its "Keep Running" then failed), and Start
    // is offered. Toasts hide after a while: the notification center holds what is still open.
    await workbench.runCommand('Notifications: Show Notifications');
    const center = workbench.page.locator('.notifications-center .notification-list-item');
    const messages = () => center.locator('.notification-list-item-message').allTextContents();
    await workbench.until('the offer to start left', async () =>
      (await messages()).some((m) => stoppedFor('left').test(m)),
    );
    // Only the offer has a "Start" button.
    const start = center.locator('.monaco-button', { hasText: /^Start$/ });
    assert.equal(await start.count(), 1, 'the offer has "Start"');
    assert.ok(!(await messages()).some((message) => warningFor('left').test(message)), 'the warning of left is gone');
    await workbench.screenshot('idle-3-stopped-idle');
  });
});
