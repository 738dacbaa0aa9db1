import * as vscode from 'vscode';
import { isArchived } from '../wording/describe';
import { showError } from './errors';
import { withAgentProgress } from './progress';
import { resolveWorkspace } from './resolve';
import type { Services } from '../services';

/** Berth: Archive Workspace: its container, SSH port and GPUs are freed; its home and host key stay. */
export async function archiveWorkspace(services: Services, arg?: unknown): Promise<void> {
  const target = await resolveWorkspace(services, arg, ['running', 'stopped', 'failed'], { archived: false });
  if (!target) return;
  const { connection, workspace } = target;
  const archive = 'Archive';
  const choice = await vscode.window.showWarningMessage(
    `Archive workspace "${workspace.name}"?`,
    {
      modal: true,
      detail:
        'Its container is removed and its SSH port and GPUs are freed; its home, settings and host key are kept. Unarchive it to use it again.',
    },
    archive,
  );
  if (choice !== archive) return;
  try {
    await withAgentProgress(`Archiving ${workspace.name}`, (options) =>
      connection.request('workspace.archive', { name: workspace.name, owner: workspace.owner }, options),
    );
  } catch (err) {
    showError(services, `archive ${workspace.name}`, err);
  }
}

/** Berth: Unarchive Workspace: recreated on its home with its host key and started. */
export async function unarchiveWorkspace(services: Services, arg?: unknown): Promise<void> {
  const target = await resolveWorkspace(services, arg, ['stopped'], { archived: true });
  if (!target || !isArchived(target.workspace)) return;
  const { connection, workspace } = target;
  try {
    const { workspace: back, previousPort } = await withAgentProgress(`Unarchiving ${workspace.name}`, (options) =>
      connection.request('workspace.unarchive', { name: workspace.name, owner: workspace.owner }, options),
    );
    if (back.ssh.port !== previousPort) {
      services.log.info(`${back.name}: SSH port ${previousPort} was taken meanwhile; now on ${back.ssh.port}`);
    }
  } catch (err) {
    showError(services, `unarchive ${workspace.name}`, err);
  }
}
