import * as vscode from 'vscode';
import type { Workspace } from '../../protocol';
import { configPath } from '../ssh-config/config-text';
import { resolveWorkspace } from './resolve';
import type { Services } from '../services';
import { syncSshConfig, workspaceAlias } from '../ssh-config/sync';

/** The shell command that enters `workspace` with Berth's managed SSH config. */
export function sshCommand(services: Services, hostId: string, workspace: Workspace): string {
  return `ssh -F ${configPath(services.ssh.configFile)} ${workspaceAlias(hostId, workspace)}`;
}

/** Berth: Copy SSH Command. */
export async function copySshCommand(services: Services, arg?: unknown): Promise<void> {
  const target = await resolveWorkspace(services, arg);
  if (!target) return;
  await syncSshConfig(services);
  const command = sshCommand(services, target.connection.host.id, target.workspace);
  await vscode.env.clipboard.writeText(command);
  void vscode.window.showInformationMessage(`Copied: ${command}`);
}
