import type * as vscode from 'vscode';
import type { TreeNode } from './model';
import type { WorkspaceTreeProvider } from './provider';

/**
 * Ties the usage rows' refresh to what is on screen: a collapsed workspace row stops its refresh, a
 * hidden view pauses all of them (expanding a row starts its refresh, through `getChildren`).
 */
export function registerUsageRefresh(
  view: vscode.TreeView<TreeNode>,
  tree: WorkspaceTreeProvider,
): vscode.Disposable[] {
  tree.usage.setVisible(view.visible);
  return [
    view.onDidCollapseElement(({ element }) => {
      if (element.kind === 'workspace') tree.usage.unwatch(element.id);
    }),
    view.onDidChangeVisibility(({ visible }) => tree.usage.setVisible(visible)),
  ];
}
