import type * as vscode from 'vscode';
import type { HostManager } from './hosts/manager';
import type { ManagedSsh } from './ssh-config/managed';
import type { WorkspaceTreeProvider } from './tree/provider';

/** What commands work with, handed to each of them (no global locator). */
export interface Services {
  manager: HostManager;
  ssh: ManagedSsh;
  tree: WorkspaceTreeProvider;
  log: vscode.LogOutputChannel;
}
