import * as vscode from 'vscode';
import type { Workspace, WorkspaceState } from '../../protocol';
import type { HostConnection } from '../hosts/connection';
import type { TreeNode } from '../tree/model';
import type { Services } from '../services';

/** A workspace and the connection to its host. */
export interface Target {
  connection: HostConnection;
  workspace: Workspace;
}

/**
 * The workspace a command acts on: the tree item it was invoked on, or (from the palette) one the
 * user picks among the workspaces in `states`. Undefined when the user backs out.
 */
export async function resolveWorkspace(
  services: Services,
  arg: unknown,
  states?: WorkspaceState[],
): Promise<Target | undefined> {
  const node = arg as TreeNode | undefined;
  if (node?.kind === 'workspace') {
    const connection = services.manager.connection(node.hostId);
    const workspace = connection?.workspaces.get(node.workspace.id) ?? node.workspace;
    if (connection) return { connection, workspace };
  }
  const items = services.manager.all().flatMap((connection) =>
    [...connection.workspaces.values()]
      .filter((ws) => !states || states.includes(ws.state))
      .map((workspace) => ({
        label: workspace.name,
        description: `${workspace.state} · ${connection.host.label}`,
        target: { connection, workspace },
      })),
  );
  if (!items.length) {
    void vscode.window.showInformationMessage(
      states ? `No workspace is ${states.join(' or ')}.` : 'There are no workspaces yet.',
    );
    return undefined;
  }
  const picked = await vscode.window.showQuickPick(items, { title: 'Choose a workspace', matchOnDescription: true });
  return picked?.target;
}

/** The host a command acts on: from a tree node, the only one, or one the user picks among the connected. */
export async function resolveHost(
  services: Services,
  arg: unknown,
  connectedOnly = true,
): Promise<HostConnection | undefined> {
  const node = arg as TreeNode | undefined;
  if (node && 'hostId' in node) return services.manager.connection(node.hostId);
  const candidates = services.manager.all().filter((c) => !connectedOnly || c.status.kind === 'connected');
  if (candidates.length <= 1) {
    if (!candidates.length) {
      void vscode.window.showWarningMessage(
        connectedOnly ? 'No Berth host is connected.' : 'No Berth host is configured.',
      );
    }
    return candidates[0];
  }
  const picked = await vscode.window.showQuickPick(
    candidates.map((connection) => ({ label: connection.host.label, description: connection.host.url, connection })),
    { title: 'Choose a host' },
  );
  return picked?.connection;
}
