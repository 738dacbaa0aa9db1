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

/** Whether `workspace` is the connected user's own on `connection`'s host. */
export function isOwn(connection: HostConnection, workspace: Workspace): boolean {
  return connection.status.kind === 'connected' && connection.status.welcome.user.name === workspace.owner;
}

/**
 * The workspace a command acts on: the tree item it was invoked on, or (from the palette) one the
 * user picks among the workspaces in `states` (archived or not, with `archived`). Undefined when the user backs out. With `own`, only
 * the user's own workspaces (SSH reaches no other): another user's is refused with a word why.
 */
export async function resolveWorkspace(
  services: Services,
  arg: unknown,
  states?: WorkspaceState[],
  options: { own?: boolean; archived?: boolean } = {},
): Promise<Target | undefined> {
  const node = arg as TreeNode | undefined;
  if (node?.kind === 'workspace') {
    const connection = services.manager.connection(node.hostId);
    const workspace = connection?.workspaces.get(node.workspace.id) ?? node.workspace;
    if (connection && options.own && !isOwn(connection, workspace)) {
      void vscode.window.showInformationMessage(
        `Berth: ${workspace.name} is ${workspace.owner}'s workspace; only its owner can connect to it.`,
      );
      return undefined;
    }
    if (connection) return { connection, workspace };
  }
  const items = services.manager.all().flatMap((connection) =>
    [...connection.workspaces.values()]
      .filter((ws) => !states || states.includes(ws.state))
      .filter((ws) => !options.own || isOwn(connection, ws))
      .filter((ws) => options.archived === undefined || (ws.archivedAt !== undefined) === options.archived)
      .map((workspace) => ({
        label: workspace.name,
        description: `${workspace.state} · ${connection.host.label}`,
        target: { connection, workspace },
      })),
  );
  if (!items.length) {
    void vscode.window.showInformationMessage(
      states
        ? `No workspace${options.own ? ' of yours' : ''} is ${states.join(' or ')}.`
        : 'There are no workspaces yet.',
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
