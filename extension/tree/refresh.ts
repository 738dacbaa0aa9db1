import type { HostNode, TreeNode } from './model';

/** One host's row and the rows under it, as the tree renders them at one moment. */
export interface HostRender {
  node: HostNode;
  children: TreeNode[];
}

/** What to redraw: everything (the set of hosts changed), or the rows with these ids (none: nothing visible changed). */
export type RefreshTargets = 'all' | string[];

/** What a node draws: label, description, tooltip, icon, context value, and a hint's command. */
function drawn(node: TreeNode): string {
  const rest = node.kind === 'hint' ? [node.command] : [node.description, node.contextValue];
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
    if (!sameRow(old.node, host.node) || ids(old.children) !== ids(host.children)) {
      targets.push(host.node.id);
      return;
    }
    host.children.forEach((child, j) => {
      if (!sameRow(old.children[j]!, child)) targets.push(child.id);
    });
  });
  return targets;
}
