import * as vscode from 'vscode';
import { workspaceAlias, registerKey, syncSshConfig } from '../ssh-config/sync';
import { showError } from './errors';
import { resolveWorkspace } from './resolve';
import type { Services } from '../services';

/** Berth: Open Terminal — ssh into the workspace in an integrated terminal (works without Remote-SSH). */
export async function openTerminal(services: Services, arg?: unknown): Promise<void> {
  const target = await resolveWorkspace(services, arg, ['running'], { own: true });
  if (!target) return;
  const { connection, workspace } = target;
  try {
    await registerKey(services, connection);
    await syncSshConfig(services);
  } catch (err) {
    return showError(services, `prepare SSH for ${workspace.name}`, err);
  }
  const terminal = vscode.window.createTerminal({
    name: `Berth: ${workspace.name}`,
    shellPath: 'ssh',
    shellArgs: ['-F', services.ssh.configFile, workspaceAlias(connection.host.id, workspace)],
    iconPath: new vscode.ThemeIcon('vm-running'),
  });
  terminal.show();
}
