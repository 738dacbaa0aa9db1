import * as vscode from 'vscode';
import type { Workspace } from '../../protocol';
import { configPath } from '../ssh-config/config-text';
import { resolveWorkspace } from './resolve';
import type { Services } from '../services';
import { registerKey, syncSshConfig, workspaceAlias } from '../ssh-config/sync';
import { showError } from './errors';

/** The shell command that enters `workspace` with Berth's managed SSH config. */
export function sshCommand(services: Services, hostId: string, workspace: Workspace): string {
  return `ssh -F ${configPath(services.ssh.configFile)} ${workspaceAlias(hostId, workspace)}`;
}

/**
 * Berth: Copy SSH Command. The command works as copied: the extension's key is registered with the
 * host (as Connect and Open Terminal do) and the SSH config written first.
 */
export async function copySshCommand(services: Services, arg?: unknown): Promise<void> {
  const target = await resolveWorkspace(services, arg, undefined, { own: true });
  if (!target) return;
  try {
    await registerKey(services, target.connection);
    await syncSshConfig(services);
  } catch (err) {
    return showError(services, `prepare SSH for ${target.workspace.name}`, err);
  }
  const command = sshCommand(services, target.connection.host.id, target.workspace);
  await vscode.env.clipboard.writeText(command);
  void vscode.window.showInformationMessage(`Copied: ${command}`);
}
