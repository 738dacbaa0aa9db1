import * as vscode from 'vscode';
import type { HostManager } from '../hosts/manager';
import { descendants, hostChildren, hostNode, type TreeNode, type WorkspaceNode } from './model';
import { refreshTargets, type HostRender } from './refresh';
import { hasUsage, UsagePoller, usageNodes } from './usage';

const REFRESH_DEBOUNCE_MS = 50;

/**
 * The `berth.workspaces` tree: hosts, and under each its workspaces. Renders from the connections'
 * cached model and refreshes on their changes (agent events), debounced; never polls, never throws.
 *
 * Each row has one element object for as long as it exists, updated in place: VS Code finds a row's
 * element by identity, and a command chosen from a menu opened before a refresh gets that element.
 * A change redraws only the rows it changed (a whole host when its list of workspaces changed, the
 * whole tree when the set of hosts did), so a menu open on one row survives events of another.
 */
export class WorkspaceTreeProvider implements vscode.TreeDataProvider<TreeNode>, vscode.Disposable {
  private readonly emitter = new vscode.EventEmitter<TreeNode | TreeNode[] | undefined>();
  readonly onDidChangeTreeData = this.emitter.event;
  /** The element of each row by id, handed to VS Code and reused by every later render. */
  private readonly elements = new Map<string, TreeNode>();
  /** The tree as VS Code last got it (or is about to fetch it), host by host. */
  private rendered = new Map<string, HostRender>();
  /** Hosts changed since the last redraw; `all` when every host is to be rendered afresh. */
  private readonly changed = new Set<string>();
  private all = false;
  /** Set by {@link refresh}: the next redraw is of the whole tree, whatever changed. */
  private whole = false;
  private timer: NodeJS.Timeout | null = null;
  private readonly subscription: vscode.Disposable;
  /** The live usage of expanded running workspace rows (tree/usage.ts); the view's events drive it. */
  readonly usage = new UsagePoller(
    (hostId, parentId) => this.fetchUsage(hostId, parentId),
    (parentId) => {
      // A row gone meanwhile has nothing to redraw (firing undefined would redraw the whole tree).
      const element = this.elements.get(parentId);
      if (element) this.emitter.fire(element);
    },
  );

  constructor(private readonly manager: HostManager) {
    this.subscription = manager.onDidChangeHost((hostId) => this.schedule(hostId));
  }

  /** Schedules a redraw of the whole tree (Berth: Refresh); bursts of changes make one. */
  refresh(): void {
    this.whole = true;
    this.schedule(undefined);
  }

  getChildren(node?: TreeNode): TreeNode[] {
    if (!node) {
      const hosts = this.manager.hosts().flatMap((host) => {
        const render = this.render(host.id);
        return render ? [render] : [];
      });
      this.rendered = new Map(hosts.map((host) => [host.node.hostId, host]));
      return hosts.map((host) => this.adopt(host.node));
    }
    if (node.kind === 'workspace') return this.usageChildren(node);
    // A group's rows are those of the host's last render, which adopted the group with its children.
    if (node.kind === 'group') return node.children.map((child) => this.adopt(child));
    if (node.kind !== 'host') return [];
    const render = this.render(node.hostId);
    if (!render) return [];
    const shown = this.rendered.get(node.hostId);
    this.forget(shown, render);
    // The host's row stays as VS Code drew it: a change since then is the next redraw's to find.
    this.rendered.set(node.hostId, { node: shown?.node ?? render.node, children: render.children });
    return render.children.map((child) => this.adopt(child));
  }

  getTreeItem(node: TreeNode): vscode.TreeItem {
    const collapsible =
      node.kind === 'host' || (node.kind === 'group' && node.expanded)
        ? vscode.TreeItemCollapsibleState.Expanded
        : node.kind === 'group' || (node.kind === 'workspace' && hasUsage(node.workspace))
          ? vscode.TreeItemCollapsibleState.Collapsed
          : vscode.TreeItemCollapsibleState.None;
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
    if (node.kind === 'group') {
      item.tooltip = node.tooltip;
      item.contextValue = 'group';
      return item;
    }
    item.contextValue = node.contextValue;
    item.tooltip = node.kind === 'workspace' ? new vscode.MarkdownString(node.tooltip) : node.tooltip;
    if (node.kind === 'workspace' && node.command) {
      item.command = { command: node.command, title: 'Connect to Workspace', arguments: [node] };
    }
    return item;
  }

  /** The row above `node` (for `reveal`): a workspace's host, a usage row's workspace. */
  getParent(node: TreeNode): TreeNode | undefined {
    if (node.kind === 'host') return undefined;
    return this.elements.get(node.kind === 'usage' ? node.parentId : `host:${node.hostId}`);
  }

  /** The element of a workspace's row, made if VS Code has not fetched it yet (for `reveal`). */
  workspaceElement(hostId: string, workspaceId: string): TreeNode | undefined {
    const render = this.render(hostId);
    const row = render?.children.find((child) => child.kind === 'workspace' && child.workspace.id === workspaceId);
    if (!render || !row) return undefined;
    if (!this.elements.has(render.node.id)) this.adopt(render.node);
    return this.elements.get(row.id) ?? this.adopt(row);
  }

  dispose(): void {
    this.usage.dispose();
    if (this.timer) clearTimeout(this.timer);
    this.subscription.dispose();
    this.emitter.dispose();
  }

  /** Notes a change of one host (undefined: of the set of hosts) and redraws after the debounce. */
  private schedule(hostId: string | undefined): void {
    if (hostId === undefined) this.all = true;
    else this.changed.add(hostId);
    this.timer ??= setTimeout(() => this.redraw(), REFRESH_DEBOUNCE_MS);
  }

  /** Renders the changed hosts afresh and fires for the rows that draw differently, if any. */
  private redraw(): void {
    this.timer = null;
    const before = [...this.rendered.values()];
    const after = this.manager.hosts().flatMap((host) => {
      const kept = !this.all && !this.changed.has(host.id) && this.rendered.get(host.id);
      const render = kept || this.render(host.id);
      return render ? [render] : [];
    });
    const targets = this.whole ? 'all' : refreshTargets(before, after);
    this.all = this.whole = false;
    this.changed.clear();
    for (const host of after) {
      this.forget(this.rendered.get(host.node.hostId), host);
      for (const node of [host.node, ...descendants(host.children)]) this.adopt(node);
    }
    for (const host of before) if (!after.some((render) => render.node.id === host.node.id)) this.forget(host);
    this.rendered = new Map(after.map((host) => [host.node.hostId, host]));
    if (targets === 'all') this.emitter.fire(undefined);
    else if (targets.length) this.emitter.fire(targets.flatMap((id) => this.elements.get(id) ?? []));
  }

  /** The usage rows of a running workspace row, refreshed while it is expanded (none for other states). */
  private usageChildren(node: WorkspaceNode): TreeNode[] {
    if (!hasUsage(node.workspace)) {
      this.usage.unwatch(node.id);
      return [];
    }
    this.usage.watch(node.hostId, node.id);
    return usageNodes(node.hostId, node.id, this.usage.state(node.id));
  }

  /** The usage of the workspace of row `parentId`; null when it no longer runs. */
  private async fetchUsage(hostId: string, parentId: string) {
    const node = this.elements.get(parentId);
    const connection = this.manager.connection(hostId);
    const ws = node?.kind === 'workspace' ? connection?.workspaces.get(node.workspace.id) : undefined;
    if (!connection || !ws || !hasUsage(ws)) return null;
    return (await connection.request('workspace.usage', { name: ws.name, owner: ws.owner })).usage;
  }

  /** A host's row and rows under it as they draw now; undefined for a host without a connection. */
  private render(hostId: string): HostRender | undefined {
    const connection = this.manager.connection(hostId);
    if (!connection) return undefined;
    const { host, status, workspaces, info } = connection;
    return {
      node: hostNode(host, status, Date.now(), info),
      children: hostChildren(host, status, workspaces.values(), { warned: (id) => connection.warned(id) }),
    };
  }

  /** The element of `node`'s row (made for a new row), updated to `node`'s content. */
  private adopt(node: TreeNode): TreeNode {
    const element = this.elements.get(node.id);
    if (element?.kind === node.kind) return Object.assign(element, node);
    const fresh = { ...node };
    this.elements.set(node.id, fresh);
    return fresh;
  }

  /** Drops the elements of rows that `old` had and `now` lacks (all of them, without `now`). */
  private forget(old: HostRender | undefined, now?: HostRender): void {
    if (!old) return;
    const kept = new Set(now ? [now.node.id, ...descendants(now.children).map((child) => child.id)] : []);
    for (const node of [old.node, ...descendants(old.children)]) if (!kept.has(node.id)) this.elements.delete(node.id);
  }
}
