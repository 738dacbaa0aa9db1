import { describePort, type Workspace } from '../../protocol';

/**
 * The tooltip rows a devcontainer.json brought (`[label, Markdown]`): where the definition came
 * from, and the ports it forwards (stored and shown; not forwarded yet). Empty for other workspaces.
 */
export function devcontainerRows(ws: Workspace, inert: (text: string) => string): [string, string][] {
  const rows: [string, string][] = [];
  // A code span keeps the path literal; a backtick would end it, a pipe the table's cell (GFM reads \| as |).
  const path = ws.spec.devcontainer?.replace(/`/g, "'").replace(/\|/g, '\\|');
  if (path) rows.push(['Definition', `\`${path}\``]);
  if (ws.spec.forwardPorts?.length) {
    rows.push(['Ports', `${inert(ws.spec.forwardPorts.map(describePort).join(', '))} (not forwarded yet)`]);
  }
  return rows;
}
