import * as vscode from 'vscode';
import { resolveHost } from './resolve';
import type { Services } from '../services';

/** Berth: Remove Host — forgets the host and its token; its workspaces keep running there. */
export async function removeHost(services: Services, arg?: unknown): Promise<void> {
  const connection = await resolveHost(services, arg, false);
  if (!connection) return;
  const choice = await vscode.window.showWarningMessage(
    `Remove host "${connection.host.label}" from VS Code?`,
    { modal: true, detail: 'Its workspaces are not touched; add the host again to see them.' },
    'Remove',
  );
  if (choice === 'Remove') await services.manager.remove(connection.host.id);
}
