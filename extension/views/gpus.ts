import * as vscode from 'vscode';
import type { HostManager } from '../hosts/manager';
import { gpuChildren, gpuHostNode, gpuSlices, type GpuNode, type GpuState } from './gpu-model';

/** Events come in bursts (a start changes a workspace several times): one re-read per burst. */
const REFRESH_DEBOUNCE_MS = 300;

/**
 * The `berth.gpus` view: per host, each GPU and MIG slice with model, memory, utilization, holder
 * and room, from `host.info` (what `berth gpus` prints). Re-read when a host's connection or its
 * workspaces change (agent events), debounced, and only while the view is visible: a hidden view
 * is marked stale and read when it shows again. Never polls; never throws from `getChildren`.
 */
export class GpuTreeProvider implements vscode.TreeDataProvider<GpuNode>, vscode.Disposable {
  private readonly emitter = new vscode.EventEmitter<GpuNode | undefined>();
  readonly onDidChangeTreeData = this.emitter.event;
  private readonly states = new Map<string, GpuState>();
  /** Hosts whose GPUs are to be read again (once the view is visible). */
  private readonly stale = new Set<string>();
  private timer: NodeJS.Timeout | null = null;
  private visible = false;
  private readonly subscription: vscode.Disposable;

  constructor(private readonly manager: HostManager) {
    this.subscription = manager.onDidChangeHost((hostId) => this.changed(hostId));
  }

  /** Shows or hides the view: reading happens only while it is visible. */
  setVisible(visible: boolean): void {
    this.visible = visible;
    if (visible && this.stale.size) this.schedule();
  }

  getChildren(node?: GpuNode): GpuNode[] {
    if (node?.migParent) {
      const host = this.manager.connection(node.hostId)?.host;
      return host ? gpuSlices(host, this.states.get(node.hostId), node.migParent) : [];
    }
    if (node && node.kind !== 'gpu-host') return [];
    const hosts = this.manager.hosts().filter((host) => !node || host.id === node.hostId);
    return hosts.flatMap((host) => {
      const connection = this.manager.connection(host.id);
      if (!connection) return [];
      const state = this.states.get(host.id);
      if (!state && connection.status.kind === 'connected' && !this.stale.has(host.id)) {
        this.stale.add(host.id);
        this.schedule();
      }
      return node ? gpuChildren(host, connection.status, state) : [gpuHostNode(host, connection.status, state)];
    });
  }

  getTreeItem(node: GpuNode): vscode.TreeItem {
    const item = new vscode.TreeItem(
      node.label,
      node.kind === 'gpu-host' || node.migParent
        ? vscode.TreeItemCollapsibleState.Expanded
        : vscode.TreeItemCollapsibleState.None,
    );
    item.id = node.id;
    item.description = node.description;
    item.tooltip = node.tooltip;
    item.contextValue = node.kind;
    item.iconPath = new vscode.ThemeIcon(
      node.icon.id,
      node.icon.color ? new vscode.ThemeColor(node.icon.color) : undefined,
    );
    return item;
  }

  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    this.subscription.dispose();
    this.emitter.dispose();
  }

  private changed(hostId: string | undefined): void {
    for (const id of hostId === undefined ? this.manager.hosts().map((host) => host.id) : [hostId]) {
      this.stale.add(id);
    }
    if (hostId === undefined) {
      for (const id of this.states.keys()) if (!this.manager.connection(id)) this.states.delete(id);
    }
    this.schedule();
  }

  private schedule(): void {
    if (!this.visible) return;
    this.timer ??= setTimeout(() => void this.read(), REFRESH_DEBOUNCE_MS);
  }

  /** Reads the stale hosts' GPUs and redraws the tree. */
  private async read(): Promise<void> {
    this.timer = null;
    const hostIds = [...this.stale];
    this.stale.clear();
    await Promise.all(
      hostIds.map(async (hostId) => {
        const connection = this.manager.connection(hostId);
        if (!connection || connection.status.kind !== 'connected') return void this.states.delete(hostId);
        try {
          const info = await connection.request('host.info', {});
          this.states.set(hostId, {
            gpus: info.gpus,
            sharing: info.gpuSharing,
            me: info.user.name,
            ...(info.gpuNote ? { note: info.gpuNote } : {}),
          });
        } catch (err) {
          this.states.set(hostId, { error: err instanceof Error ? err.message : String(err) });
        }
      }),
    );
    this.emitter.fire(undefined);
  }
}
