import { descendants, type HostNode, type TreeNode } from './model';

/** One host's row and the rows under it, as the tree renders them at one moment. */
export interface HostRender {
  node: HostNode;
  children: TreeNode[];
}

/** What to redraw: everything (the set of hosts changed), or the rows with these ids (none: nothing visible changed). */
export type RefreshTargets = 'all' | string[];

/** What a node draws: label, description, tooltip, icon, context value, and a hint's or row's command. */
function drawn(node: TreeNode): string {
  const rest =
    node.kind === 'hint'
      ? [node.command]
      : node.kind === 'group'
        ? [node.description, node.expanded]
        : [node.description, node.contextValue, node.kind === 'workspace' ? node.command : undefined];
  return JSON.stringify([node.kind, node.id, node.label, node.tooltip, node.icon.id, node.icon.color, ...rest]);
}

/** Whether two nodes draw the same row. */
export function sameRow(a: TreeNode, b: TreeNode): boolean {
  return drawn(a) === drawn(b);
}

const ids = (nodes: readonly { id: string }[]) => nodes.map((node) => node.id).join('\n');

/**
 * The rows to redraw going from `before` to `after` (every host, in order): `'all'` when the hosts
 * are not the same ones in the same order; a host whose row or whose list of children changed
 * (added, removed, reordered) is redrawn with its children; otherwise only the children whose row changed.
 */
export function refreshTargets(before: readonly HostRender[], after: readonly HostRender[]): RefreshTargets {
  if (ids(before.map((host) => host.node)) !== ids(after.map((host) => host.node))) return 'all';
  const targets: string[] = [];
  after.forEach((host, i) => {
    const old = before[i]!;
    // Rows inside groups count as the host's: a row that moves between groups redraws the host.
    const was = descendants(old.children);
    const is = descendants(host.children);
    if (!sameRow(old.node, host.node) || ids(was) !== ids(is)) {
      targets.push(host.node.id);
      return;
    }
    is.forEach((child, j) => {
      if (!sameRow(was[j]!, child)) targets.push(child.id);
    });
  });
  return targets;
}
