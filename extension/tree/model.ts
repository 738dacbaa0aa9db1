import type { Workspace, WorkspaceState } from '../../protocol';
import type { HostConfig, HostStatus } from '../hosts/host';
import { idleLines, stateLabel } from '../wording/describe';
import { memoryLabel } from '../wording/sizes';
import type { UsageNode } from './usage';

/** A codicon with an optional theme colour id. */
export interface Icon {
  id: string;
  color?: string;
}

/** What the tree shows, free of `vscode` types: the provider maps it onto TreeItems. */
export type TreeNode =
  | {
      kind: 'host';
      id: string;
      hostId: string;
      label: string;
      description: string;
      tooltip: string;
      icon: Icon;
      contextValue: string;
    }
  | {
      kind: 'workspace';
      id: string;
      hostId: string;
      workspace: Workspace;
      label: string;
      description: string;
      tooltip: string;
      icon: Icon;
      contextValue: string;
    }
  /** A line under a host that says what is wrong or empty, with the command that helps. */
  | { kind: 'hint'; id: string; hostId: string; label: string; tooltip: string; icon: Icon; command: string }
  /** A live-usage row under a running workspace (tree/usage.ts). */
  | UsageNode;

export type WorkspaceNode = Extract<TreeNode, { kind: 'workspace' }>;
export type HostNode = Extract<TreeNode, { kind: 'host' }>;

const STATE_ICONS: Record<WorkspaceState, Icon> = {
  running: { id: 'vm-running', color: 'testing.iconPassed' },
  stopped: { id: 'vm-outline' },
  failed: { id: 'error', color: 'testing.iconFailed' },
  creating: { id: 'loading~spin' },
  starting: { id: 'loading~spin' },
  stopping: { id: 'loading~spin' },
  deleting: { id: 'loading~spin' },
};

/** `running · 2 CPU · 4 GiB · 1 GPU`; `stopped (idle) · …` after an automatic stop. */
export function workspaceDescription(ws: Workspace): string {
  const parts: string[] = [stateLabel(ws), `${ws.spec.cpus} CPU`, memoryLabel(ws.spec.memory)];
  if (ws.spec.gpus > 0) parts.push(gpuSummary(ws));
  if (ws.disk?.overQuota) parts.push('over disk quota');
  return parts.join(' · ');
}

/** The tooltip's disk cell: home and writable layer as last measured; absent before the first measurement. */
export function diskDetails(ws: Workspace): string | null {
  if (!ws.disk) return null;
  const size = (bytes: number | null) => (bytes === null ? 'not measured' : memoryLabel(bytes));
  return `home ${size(ws.disk.home)}, container ${size(ws.disk.layer)} (measured ${ws.disk.at.replace('T', ' ').replace(/\.\d+Z$/, ' UTC')})`;
}

/** A warning line when the owner is over the soft disk quota: no new workspace until space is freed. */
function quotaLine(ws: Workspace): string | null {
  const over = ws.disk?.overQuota;
  if (!over) return null;
  return `⚠ ${ws.owner}'s workspaces take ${memoryLabel(over.used)} of disk, over the ${memoryLabel(over.quota)} quota: new workspaces are refused until space is freed (delete files in a home, or delete a workspace with its data).`;
}

/** `2 GPUs (0, 1)` while it holds them (nvidia-smi indexes), `2 GPUs` while it does not. */
export function gpuSummary(ws: Workspace): string {
  const count = `${ws.spec.gpus} GPU${ws.spec.gpus === 1 ? '' : 's'}`;
  return ws.gpus?.length ? `${count} (${ws.gpus.map((gpu) => gpu.index).join(', ')})` : count;
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

/** Tags for `when` clauses in menus: `workspace+running+gpu`, matched with `viewItem =~ /\bworkspace\b.*\brunning\b/`. */
export function workspaceContext(ws: Workspace): string {
  return ['workspace', ws.state, ...(ws.spec.gpus > 0 ? ['gpu'] : []), ...(ws.gpuQueue ? ['queued'] : [])].join('+');
}

/** The Markdown tooltip of a workspace; `now` dates its idle lines ("stops in 12 min"). */
export function workspaceTooltip(ws: Workspace, hostLabel: string, now = Date.now()): string {
  const rows: [string, string][] = [
    ['Host', hostLabel],
    ['Owner', ws.owner],
    ['Image', `\`${ws.spec.image}\``],
    ['CPU', `${ws.spec.cpus}`],
    ['Memory', memoryLabel(ws.spec.memory)],
    ['GPUs', gpuDetails(ws)],
    ...(diskDetails(ws) ? [['Disk', diskDetails(ws) ?? ''] as [string, string]] : []),
    ['SSH', `${ws.ssh.user}@${ws.ssh.host} port ${ws.ssh.port}`],
    ['Created', ws.createdAt.replace('T', ' ').replace(/\.\d+Z$/, ' UTC')],
  ];
  const table = ['| | |', '|---|---|', ...rows.map(([key, value]) => `| ${key} | ${value} |`)].join('\n');
  const since = ws.since.replace('T', ' ').replace(/\.\d+Z$/, ' UTC');
  const message = [ws.message, quotaLine(ws), ...idleLines(ws, now)]
    .map((line) => (line ? `\n\n${line}` : ''))
    .join('');
  return `**${ws.name}** — ${ws.state} since ${since}${message}\n\n${table}`;
}

/** The node of a workspace on a host. */
export function workspaceNode(host: HostConfig, ws: Workspace): WorkspaceNode {
  return {
    kind: 'workspace',
    id: `workspace:${host.id}:${ws.id}`,
    hostId: host.id,
    workspace: ws,
    label: ws.name,
    description: workspaceDescription(ws),
    tooltip: workspaceTooltip(ws, host.label),
    icon: STATE_ICONS[ws.state],
    contextValue: workspaceContext(ws),
  };
}

/** The node of a host, saying how its connection stands. */
export function hostNode(host: HostConfig, status: HostStatus, now = Date.now()): HostNode {
  const base = { kind: 'host' as const, id: `host:${host.id}`, hostId: host.id, label: host.label };
  switch (status.kind) {
    case 'connected': {
      const { user, host: name } = status.welcome;
      return {
        ...base,
        description: `${user.name}@${name}`,
        tooltip: `${host.url}\nConnected as ${user.name}${user.admin ? ' (admin)' : ''}`,
        icon: { id: 'server' },
        contextValue: 'host+connected',
      };
    }
    case 'connecting':
      return {
        ...base,
        description: 'connecting…',
        tooltip: host.url,
        icon: { id: 'loading~spin' },
        contextValue: 'host+connecting',
      };
    case 'error': {
      const retry = status.retryAt
        ? `reconnecting in ${Math.max(1, Math.ceil((status.retryAt - now) / 1000))} s`
        : 'not connected';
      return {
        ...base,
        description: retry,
        tooltip: `${host.url}\n${status.message}`,
        icon: { id: 'warning', color: 'problemsWarningIcon.foreground' },
        contextValue: 'host+error',
      };
    }
  }
}

/** The children of a host: its workspaces (sorted by name), or one hint saying what is wrong or empty. */
export function hostChildren(host: HostConfig, status: HostStatus, workspaces: Iterable<Workspace>): TreeNode[] {
  if (status.kind === 'error') {
    const warning = { id: 'warning', color: 'problemsWarningIcon.foreground' };
    const node =
      status.code === 'unauthorized'
        ? { label: 'Token refused: click to enter a new one', tooltip: status.message }
        : { label: status.message, tooltip: 'Click to reconnect now' };
    return [
      {
        kind: 'hint',
        id: `hint:${host.id}:error`,
        hostId: host.id,
        ...node,
        icon: warning,
        command: 'berth.host.reconnect',
      },
    ];
  }
  if (status.kind === 'connecting') return [];
  const nodes = [...workspaces]
    .sort((a, b) => a.name.localeCompare(b.name) || a.owner.localeCompare(b.owner))
    .map((ws) => workspaceNode(host, ws));
  if (nodes.length) return nodes;
  return [
    {
      kind: 'hint',
      id: `hint:${host.id}:empty`,
      hostId: host.id,
      label: 'No workspaces yet: create one',
      tooltip: 'Create a workspace on this host',
      icon: { id: 'add' },
      command: 'berth.workspace.create',
    },
  ];
}
