import * as vscode from 'vscode';
import type { Workspace } from '../../protocol';
import type { HostConnection } from '../hosts/connection';
import type { HostManager } from '../hosts/manager';
import { connectedWorkspace, type WorkspaceAddress } from './alias';

/** The Berth workspace this window is connected to over Remote-SSH, from its folders' authorities. */
export function windowAddress(): WorkspaceAddress | undefined {
  const uris = [...(vscode.workspace.workspaceFolders ?? []).map((folder) => folder.uri)];
  if (vscode.workspace.workspaceFile) uris.push(vscode.workspace.workspaceFile);
  return connectedWorkspace(
    vscode.env.remoteName,
    uris.filter((uri) => uri.scheme === 'vscode-remote').map((uri) => uri.authority),
  );
}

/** The connection to the address's host and, once it lists it, the workspace itself. */
export function resolveAddress(
  manager: HostManager,
  address: WorkspaceAddress,
): { connection: HostConnection; workspace?: Workspace } | undefined {
  const connection = manager.connection(address.hostId);
  return connection && { connection, workspace: connection.find(address.name) };
}
