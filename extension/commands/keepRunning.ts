import * as vscode from 'vscode';
import type { Workspace } from '../../protocol';
import { keepChoices } from '../wording/durations';
import { keptMessage } from '../wording/countdown';
import { stateLabel } from '../wording/describe';
import { showError } from './errors';
import { resolveWorkspace, type Target } from './resolve';
import type { Services } from '../services';

const START = 'Start';

/**
 * Says that `workspace` no longer runs (an idle stop came first), offering Start: what the user
 * wanted when they asked to keep it running.
 */
export async function offerStart(services: Services, { connection, workspace }: Target): Promise<void> {
  const state = stateLabel(workspace);
  const choice = await vscode.window.showInformationMessage(
    `Berth: ${workspace.name} is ${state} now${workspace.stopReason === 'idle' ? ': nobody was present and it was not busy' : ''}.`,
    ...(workspace.state === 'stopped' || workspace.state === 'failed' ? [START] : []),
  );
  if (choice !== START) return;
  services.log.info(`starting ${workspace.name} after its stop`);
  await vscode.commands.executeCommand('berth.workspace.start', {
    kind: 'workspace',
    hostId: connection.host.id,
    workspace,
  });
}

/**
 * Asks the agent to keep a workspace running (no idle stop) for `seconds`, or its default without;
 * tells the user until when, and whether the host capped the request. A workspace that stopped
 * meanwhile is not an error: the user is told so and offered Start.
 */
export async function keepWorkspaceRunning(services: Services, target: Target, seconds?: number): Promise<void> {
  const { connection } = target;
  const current = (): Workspace => connection.workspaces.get(target.workspace.id) ?? target.workspace;
  if (current().state !== 'running') return offerStart(services, { connection, workspace: current() });
  const { name, owner } = current();
  try {
    const result = await connection.request('workspace.keepalive', { name, owner, ...(seconds ? { seconds } : {}) });
    services.log.info(`${name} kept running until ${result.keepUntil}${result.capped ? ' (capped)' : ''}`);
    void vscode.window.showInformationMessage(keptMessage(name, result.keepUntil, result.capped, Date.now()));
  } catch (err) {
    if (current().state !== 'running') return offerStart(services, { connection, workspace: current() });
    showError(services, `keep ${name} running`, err);
  }
}

/** Berth: Keep Workspace Running — a duration from a QuickPick (1 hour … until tomorrow), capped by the host. */
export async function keepRunning(services: Services, arg?: unknown): Promise<void> {
  const target = await resolveWorkspace(services, arg, ['running']);
  if (!target) return;
  const choice = await vscode.window.showQuickPick(keepChoices(new Date()), {
    title: `Keep ${target.workspace.name} running`,
    placeHolder: 'For how long, even if nobody is present? The host may allow less.',
  });
  if (choice) await keepWorkspaceRunning(services, target, choice.seconds);
}
