import * as vscode from 'vscode';
import type { HostManager } from '../hosts/manager';
import { GpuTreeProvider } from './gpus';

/** The `berth.gpus` view, read only while it is visible. */
export function registerGpuView(manager: HostManager): vscode.Disposable[] {
  const provider = new GpuTreeProvider(manager);
  const view = vscode.window.createTreeView('berth.gpus', { treeDataProvider: provider, showCollapseAll: false });
  provider.setVisible(view.visible);
  return [provider, view, view.onDidChangeVisibility(({ visible }) => provider.setVisible(visible))];
}
