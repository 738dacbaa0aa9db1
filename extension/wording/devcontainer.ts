import { describePort, describeVolume, type Workspace } from '../../protocol';

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
  if (ws.spec.volumes?.length) rows.push(['Volumes', inert(ws.spec.volumes.map(describeVolume).join(', '))]);
  return rows;
}

/** The label of the row below, with a no-break space: beside a long path "Built / from" would wrap. */
export const BUILT_FROM = 'Built\u00a0from';

/**
 * The tooltip row of a workspace whose image was built on the host (`spec.build`): the folder on the
 * client machine it was built from, with the Dockerfile when it is not the folder's `Dockerfile`, and
 * the target stage when one was named. Empty for a workspace of a named image.
 */
export function buildRows(ws: Workspace): [string, string][] {
  const build = ws.spec.build;
  if (!build) return [];
  const literal = (text: string) => `\`${text.replace(/`/g, "'").replace(/\|/g, '\\|')}\``;
  const extras = [
    ...(build.dockerfile !== 'Dockerfile' ? [literal(build.dockerfile)] : []),
    ...(build.target ? [`stage ${literal(build.target)}`] : []),
  ];
  return [[BUILT_FROM, `${literal(build.context)}${extras.length ? ` (${extras.join(', ')})` : ''}`]];
}
