import type { HostInfo, Workspace, WorkspaceState } from '../../protocol';
import { forVsCode } from '../wording/errors';
import { capacityLabel } from '../hosts/capacity';
import type { HostConfig, HostStatus } from '../hosts/host';
import { clockTime } from '../wording/countdown';
import { isArchived, stateLabel } from '../wording/describe';
import { memoryLabel } from '../wording/sizes';
import { workspaceTooltip } from './tooltip';
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
      /** The row's default command (Enter, a click): Connect, where it can work without a question. */
      command?: string;
    }
  /** "My Workspaces" / "All Workspaces" under a host, for an admin who sees other users' workspaces. */
  | {
      kind: 'group';
      id: string;
      hostId: string;
      label: string;
      description: string;
      tooltip: string;
      icon: Icon;
      expanded: boolean;
      children: TreeNode[];
    }
  /** A line under a host that says what is wrong or empty, with the command that helps. */
  | { kind: 'hint'; id: string; hostId: string; label: string; tooltip: string; icon: Icon; command: string }
  /** A live-usage row under a running workspace (tree/usage.ts). */
  | UsageNode;

export type WorkspaceNode = Extract<TreeNode, { kind: 'workspace' }>;
export type HostNode = Extract<TreeNode, { kind: 'host' }>;
export type GroupNode = Extract<TreeNode, { kind: 'group' }>;

/** What the tree knows about a workspace beyond the agent's view of it. */
export interface WorkspaceView {
  /** Whether the workspace is the connected user's own (only the owner's key and SSH config reach it). */
  own: boolean;
  /** Whether an idle warning for its pending stop arrived. */
  warned?: boolean;
}

const WARNING = 'problemsWarningIcon.foreground';

const STATE_ICONS: Record<WorkspaceState, Icon> = {
  running: { id: 'vm-running', color: 'testing.iconPassed' },
  stopped: { id: 'vm-outline' },
  failed: { id: 'error', color: 'testing.iconFailed' },
  creating: { id: 'loading~spin' },
  starting: { id: 'loading~spin' },
  stopping: { id: 'loading~spin' },
  deleting: { id: 'loading~spin' },
};

/**
 * The icon of a workspace's row: by state, and, told apart at a glance, a stop by a user, by the idle
 * monitor (a stopwatch) or outside Berth (a warning), and a running workspace whose idle stop was warned (a clock).
 */
export function workspaceIcon(ws: Workspace, warned = false): Icon {
  if (isArchived(ws)) return { id: 'archive' };
  if (ws.state === 'running' && warned && ws.idleStopAt) return { id: 'clock', color: WARNING };
  if (ws.state === 'stopped') {
    switch (ws.stopReason) {
      case 'idle':
      case 'attached-grace':
      case 'max-lifetime':
        return { id: 'watch' };
      case 'outside':
        return { id: 'circle-slash', color: WARNING };
      case 'failed':
        return STATE_ICONS.failed;
      default:
        return STATE_ICONS.stopped;
    }
  }
  return STATE_ICONS[ws.state];
}

/** A GPU's model as a row can hold it: `NVIDIA H100 80GB HBM3` → `H100`, a MIG slice `A100 3g.20gb`. */
function gpuModel(name: string): string {
  const words = name.replace(/^(NVIDIA|Tesla|GeForce|Quadro)\s+/gi, '').split(/\s+/);
  const mig = /\bMIG\b/i.test(name) ? words.find((word) => /^\d+g\.\d+gb$/i.test(word)) : undefined;
  return [words[0] || 'GPU', ...(mig ? [mig] : [])].join(' ');
}

/** `1× H100`, `2× H100+A100`; `2× GPU` (or the model asked for) while it holds none. */
export function gpuShort(ws: Workspace): string {
  const held = [...new Set((ws.gpus ?? []).map((gpu) => gpuModel(gpu.name)))];
  const model = held.length ? held.join('+') : ws.spec.gpuModel || 'GPU';
  return `${ws.spec.gpus}× ${model}`;
}

/**
 * `running · 1× H100 · stops 21:16 · 2 CPU · 4 GiB`: what matters first, since a narrow side bar cuts
 * the end (state, GPUs and a pending idle stop in local time before the sizes); `stopped (idle) · …`
 * after an automatic stop.
 */
export function workspaceDescription(ws: Workspace): string {
  const parts: string[] = [isArchived(ws) ? 'archived' : stateLabel(ws)];
  if (ws.spec.gpus > 0) parts.push(gpuShort(ws));
  if (ws.state === 'running' && ws.idleStopAt) parts.push(`stops ${clockTime(ws.idleStopAt)}`);
  parts.push(`${ws.spec.cpus} CPU`, memoryLabel(ws.spec.memory));
  if (ws.disk?.overQuota) parts.push('over disk quota');
  return parts.join(' · ');
}

/**
 * Tags for `when` clauses in menus: `workspace+running+gpu+own`, matched with
 * `viewItem =~ /^workspace\+running\b/`; `own` marks the connected user's own workspaces, the only
 * ones Connect, Open Terminal and Copy SSH Command can reach; `build` one built from a folder (Rebuild);
 * `queued` (always last) one waiting for GPUs.
 */
export function workspaceContext(ws: Workspace, own: boolean): string {
  return [
    'workspace',
    isArchived(ws) ? 'archived' : ws.state,
    ...(ws.spec.gpus > 0 ? ['gpu'] : []),
    // Built on the host from a folder (issue 13 §6): Rebuild Workspace is offered.
    ...(ws.spec.build ? ['build'] : []),
    ...(own ? ['own'] : []),
    ...(ws.gpuQueue ? ['queued'] : []),
  ].join('+');
}

/** The node of a workspace on a host; another user's shows its owner (`bob/web`) and no connect actions. */
export function workspaceNode(host: HostConfig, ws: Workspace, view: WorkspaceView = { own: true }): WorkspaceNode {
  const { own, warned = false } = view;
  return {
    kind: 'workspace',
    id: `workspace:${host.id}:${ws.id}`,
    hostId: host.id,
    workspace: ws,
    label: own ? ws.name : `${ws.owner}/${ws.name}`,
    description: workspaceDescription(ws),
    tooltip: workspaceTooltip(ws, host.label, Date.now(), own),
    icon: workspaceIcon(ws, warned),
    contextValue: workspaceContext(ws, own),
    ...(own && ws.state === 'running' ? { command: 'berth.workspace.connect' } : {}),
  };
}

/** The node of a host, saying how its connection stands; `info` (host.info) adds capacity to the tooltip. */
export function hostNode(host: HostConfig, status: HostStatus, now = Date.now(), info?: HostInfo): HostNode {
  const base = { kind: 'host' as const, id: `host:${host.id}`, hostId: host.id, label: host.label };
  switch (status.kind) {
    case 'connected': {
      const { user, host: name, agentVersion } = status.welcome;
      const lines = [
        host.url,
        `Connected as ${user.name}${user.admin ? ' (admin)' : ''}`,
        `Berth agent ${info?.agentVersion ?? agentVersion} on ${name}`,
        ...(info ? [`Free: ${capacityLabel(info)}`] : []),
        ...(info?.gpuNote ? [`GPUs: ${info.gpuNote}`] : []),
        ...(info?.dockerInDocker ? ['Docker inside workspaces: allowed (privileged: root on the host)'] : []),
      ];
      return {
        ...base,
        description: `${user.name}@${name}`,
        tooltip: lines.join('\n'),
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
        tooltip: `${host.url}\n${forVsCode(status.message)}`,
        icon: { id: 'warning', color: WARNING },
        contextValue: 'host+error',
      };
    }
  }
}

/** How a host's children are drawn beyond its workspaces: which of them were warned of an idle stop. */
export interface HostView {
  warned?: (workspaceId: string) => boolean;
}

/**
 * The children of a host: its workspaces (sorted by name), or one hint saying what is wrong or empty.
 * An admin who sees other users' workspaces gets two groups: "My Workspaces" and "All Workspaces".
 */
export function hostChildren(
  host: HostConfig,
  status: HostStatus,
  workspaces: Iterable<Workspace>,
  view: HostView = {},
): TreeNode[] {
  if (status.kind === 'error') {
    const warning = { id: 'warning', color: WARNING };
    const node =
      status.code === 'unauthorized'
        ? { label: 'Token refused: click to enter a new one', tooltip: forVsCode(status.message) }
        : {
            label: forVsCode(status.message),
            tooltip: 'Click to reconnect now. If the address is wrong, remove the host and add it again.',
          };
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
  const me = status.welcome.user.name;
  const every = [...workspaces].sort((a, b) => a.name.localeCompare(b.name) || a.owner.localeCompare(b.owner));
  const sorted = every.filter((ws) => !isArchived(ws));
  const node = (ws: Workspace, suffix = '') => {
    const made = workspaceNode(host, ws, { own: ws.owner === me, warned: view.warned?.(ws.id) ?? false });
    return suffix ? { ...made, id: `${made.id}${suffix}` } : made;
  };
  // Archive: archived workspaces are listed apart, in a collapsed group after the others.
  const archived = archivedGroup(host, every.filter(isArchived), node);
  if (!sorted.length && archived) return [archived];
  if (!sorted.length) {
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
  if (!status.welcome.user.admin || sorted.every((ws) => ws.owner === me)) {
    return [...sorted.map((ws) => node(ws)), ...(archived ? [archived] : [])];
  }
  const mine = sorted.filter((ws) => ws.owner === me);
  const all = [...sorted].sort((a, b) => a.owner.localeCompare(b.owner) || a.name.localeCompare(b.name));
  const group = (key: string, label: string, tooltip: string, children: TreeNode[], expanded: boolean): GroupNode => ({
    kind: 'group',
    id: `group:${host.id}:${key}`,
    hostId: host.id,
    label,
    description: `${children.length}`,
    tooltip,
    icon: { id: key === 'mine' ? 'account' : 'organization' },
    expanded,
    children,
  });
  return [
    group(
      'mine',
      'My Workspaces',
      `Your workspaces on ${host.label}`,
      mine.map((ws) => node(ws)),
      true,
    ),
    // The same workspace under both groups: its row under "All" has an id of its own.
    group(
      'all',
      'All Workspaces',
      `Every user's workspaces on ${host.label} (you are an admin)`,
      all.map((ws) => node(ws, '@all')),
      false,
    ),
    ...(archived ? [archived] : []),
  ];
}

/** Archive: the collapsed "Archived" group of a host; null when none is archived. */
function archivedGroup(
  host: HostConfig,
  archived: Workspace[],
  node: (ws: Workspace) => WorkspaceNode,
): GroupNode | null {
  if (!archived.length) return null;
  return {
    kind: 'group',
    id: `group:${host.id}:archived`,
    hostId: host.id,
    label: 'Archived',
    description: `${archived.length}`,
    tooltip: `Archived workspaces on ${host.label}: no container, SSH port or GPU; their homes and host keys are kept. Unarchive one to use it again.`,
    icon: { id: 'archive' },
    expanded: false,
    children: archived.map((ws) => node(ws)),
  };
}

/** Every row under a host, those inside groups included, in the order they draw. */
export function descendants(nodes: readonly TreeNode[]): TreeNode[] {
  return nodes.flatMap((node) => (node.kind === 'group' ? [node, ...descendants(node.children)] : [node]));
}
