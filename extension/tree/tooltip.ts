import type { Workspace } from '../../protocol';
import { buildRows, devcontainerRows } from '../wording/devcontainer';
import { idleLines, isArchived, localTime } from '../wording/describe';
import { memoryLabel } from '../wording/sizes';

/** The tooltip's disk cell: home and writable layer as last measured; absent before the first measurement. */
export function diskDetails(ws: Workspace): string | null {
  if (!ws.disk) return null;
  const size = (bytes: number | null) => (bytes === null ? 'not measured' : memoryLabel(bytes));
  return `home ${size(ws.disk.home)}, container ${size(ws.disk.layer)} (measured ${localTime(ws.disk.at)})`;
}

/** A warning line when the owner is over the soft disk quota: no new workspace until space is freed. */
function quotaLine(ws: Workspace): string | null {
  const over = ws.disk?.overQuota;
  if (!over) return null;
  return `⚠ ${ws.owner}'s workspaces take ${memoryLabel(over.used)} of disk, over the ${memoryLabel(over.quota)} quota: new workspaces are refused until space is freed (delete files in a home, or delete a workspace with its data).`;
}

/** The tooltip's GPU cell: each held GPU (index, model, short UUID), or what it asks for while it holds none. */
export function gpuDetails(ws: Workspace): string {
  if (ws.gpus?.length) {
    // A table cell holds one line: VS Code renders no HTML (`<br>`) in a MarkdownString without supportHtml.
    return ws.gpus.map((gpu) => `${gpu.index}: ${gpu.name} (\`${gpu.uuid.slice(0, 12)}…\`)`).join('; ');
  }
  if (ws.spec.gpus === 0) return 'none';
  const filters = [
    ...(ws.spec.gpuModel ? [`"${ws.spec.gpuModel}"`] : []),
    ...(ws.spec.gpuMemory ? [`≥ ${memoryLabel(ws.spec.gpuMemory)}`] : []),
  ];
  return `${ws.spec.gpus}${filters.length ? ` ${filters.join(', ')}` : ''}, assigned when it starts`;
}

/** Text made inert in Markdown: no emphasis, links or autolinked addresses from a name or a message. */
export function markdownText(text: string): string {
  return text.replace(/[\\`*_{}[\]()#+!|<>~@:-]/g, '\\$&');
}

/** The tooltip's line for a workspace that runs Docker inside. */
export const DOCKER_IN_WORKSPACE =
  '**Privileged:** Docker runs inside this workspace, so root in it is root on the host.';

/** The Markdown tooltip of a workspace; `now` only tells whether a keepalive is still ahead. */
export function workspaceTooltip(ws: Workspace, hostLabel: string, now = Date.now(), own = true): string {
  const rows: [string, string][] = [
    ['Host', markdownText(hostLabel)],
    ['Owner', markdownText(ws.owner)],
    ['Image', `\`${ws.spec.image}\``],
    ['CPU', `${ws.spec.cpus}`],
    ['Memory', memoryLabel(ws.spec.memory)],
    ['GPUs', gpuDetails(ws)],
    ...(diskDetails(ws) ? [['Disk', diskDetails(ws) ?? ''] as [string, string]] : []),
    // A code span: VS Code would make `dev@127.0.0.1` a mailto link.
    ['SSH', `\`${ws.ssh.user}@${ws.ssh.host}\` port ${ws.ssh.port}`],
    ['Created', localTime(ws.createdAt)],
    ...devcontainerRows(ws, markdownText),
    ...buildRows(ws),
  ];
  const table = ['| | |', '|---|---|', ...rows.map(([key, value]) => `| ${key} | ${value} |`)].join('\n');
  const notMine = own
    ? null
    : `${markdownText(ws.owner)}'s workspace: Connect, Open Terminal and Copy SSH Command work only for its owner.`;
  // Docker-in-Docker (issue 13): said plainly, before anyone connects.
  const docker = ws.spec.docker ? DOCKER_IN_WORKSPACE : null;
  const message = [ws.message && markdownText(ws.message), docker, quotaLine(ws), ...idleLines(ws, now), notMine]
    .map((line) => (line ? `\n\n${line}` : ''))
    .join('');
  const state = isArchived(ws)
    ? `archived since ${localTime(ws.archivedAt ?? ws.since)}`
    : `${ws.state} since ${localTime(ws.since)}`;
  return `**${ws.name}** — ${state}${message}\n\n${table}`;
}
