import * as vscode from 'vscode';
import { keepChoices } from '../wording/durations';
import { keptMessage } from '../wording/countdown';
import { showError } from './errors';
import { resolveWorkspace, type Target } from './resolve';
import type { Services } from '../services';

/**
 * Asks the agent to keep a workspace running (no idle stop) for `seconds`, or its default without;
 * tells the user until when, and whether the host capped the request.
 */
export async function keepWorkspaceRunning(
  services: Services,
  { connection, workspace }: Target,
  seconds?: number,
): Promise<void> {
  try {
    const result = await connection.request('workspace.keepalive', {
      name: workspace.name,
      owner: workspace.owner,
      ...(seconds ? { seconds } : {}),
    });
    services.log.info(`${workspace.name} kept running until ${result.keepUntil}${result.capped ? ' (capped)' : ''}`);
    void vscode.window.showInformationMessage(keptMessage(workspace.name, result.keepUntil, result.capped, Date.now()));
  } catch (err) {
    showError(services, `keep ${workspace.name} running`, err);
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
