import * as vscode from 'vscode';
import type { HostManager } from '../hosts/manager';
import { hostChildren, hostNode, type TreeNode } from './model';

const REFRESH_DEBOUNCE_MS = 50;

/**
 * The `berth.workspaces` tree: hosts, and under each its workspaces. Renders from the connections'
 * cached model and refreshes on their changes (agent events), debounced; never polls, never throws.
 */
export class WorkspaceTreeProvider implements vscode.TreeDataProvider<TreeNode>, vscode.Disposable {
  private readonly emitter = new vscode.EventEmitter<TreeNode | undefined>();
  readonly onDidChangeTreeData = this.emitter.event;
  private timer: NodeJS.Timeout | null = null;
  private readonly subscription: vscode.Disposable;

  constructor(private readonly manager: HostManager) {
    this.subscription = manager.onDidChange(() => this.refresh());
  }

  /** Schedules a redraw; bursts of events make one. */
  refresh(): void {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.emitter.fire(undefined);
    }, REFRESH_DEBOUNCE_MS);
  }

  getChildren(node?: TreeNode): TreeNode[] {
    if (!node) {
      return this.manager.hosts().flatMap((host) => {
        const connection = this.manager.connection(host.id);
        return connection ? [hostNode(host, connection.status)] : [];
      });
    }
    if (node.kind !== 'host') return [];
    const connection = this.manager.connection(node.hostId);
    if (!connection) return [];
    return hostChildren(connection.host, connection.status, connection.workspaces.values());
  }

  getTreeItem(node: TreeNode): vscode.TreeItem {
    const collapsible =
      node.kind === 'host' ? vscode.TreeItemCollapsibleState.Expanded : vscode.TreeItemCollapsibleState.None;
    const item = new vscode.TreeItem(node.label, collapsible);
    item.id = node.id;
    item.iconPath = new vscode.ThemeIcon(
      node.icon.id,
      node.icon.color ? new vscode.ThemeColor(node.icon.color) : undefined,
    );
    if (node.kind === 'hint') {
      item.tooltip = node.tooltip;
      item.contextValue = 'hint';
      item.command = { command: node.command, title: node.tooltip, arguments: [node] };
      return item;
    }
    item.description = node.description;
    item.contextValue = node.contextValue;
    item.tooltip = node.kind === 'workspace' ? new vscode.MarkdownString(node.tooltip) : node.tooltip;
    return item;
  }

  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    this.subscription.dispose();
    this.emitter.dispose();
  }
}
