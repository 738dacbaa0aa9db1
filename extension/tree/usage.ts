import type { Workspace, WorkspaceUsage } from '../../protocol';
import { usageLines } from '../wording/usage';

/** A live-usage row under a running workspace (CPU, memory, one per GPU), or the line saying why none shows. */
export interface UsageNode {
  kind: 'usage';
  id: string;
  hostId: string;
  /** The id of the workspace row it hangs under. */
  parentId: string;
  label: string;
  description: string;
  tooltip: string;
  icon: { id: string; color?: string };
  contextValue: 'usage';
}

/** What is known of one workspace's usage: the last reply, or why there is none. */
export type UsageState = { usage: WorkspaceUsage } | { error: string } | undefined;

const ICONS: Record<string, string> = { cpu: 'dashboard', memory: 'database' };

/** Whether a workspace row has usage rows to expand: only a running workspace uses anything. */
export function hasUsage(ws: Workspace): boolean {
  return ws.state === 'running';
}

/** The rows under a workspace row `parentId` for what is known of its usage. */
export function usageNodes(hostId: string, parentId: string, state: UsageState): UsageNode[] {
  const node = (key: string, rest: Pick<UsageNode, 'label' | 'description' | 'tooltip' | 'icon'>): UsageNode => ({
    kind: 'usage',
    id: `usage:${parentId}:${key}`,
    hostId,
    parentId,
    contextValue: 'usage',
    ...rest,
  });
  if (!state) {
    return [node('loading', { label: 'Reading usage…', description: '', tooltip: '', icon: { id: 'loading~spin' } })];
  }
  if ('error' in state) {
    const icon = { id: 'warning', color: 'problemsWarningIcon.foreground' };
    return [node('error', { label: 'Usage unavailable', description: state.error, tooltip: state.error, icon })];
  }
  return usageLines(state.usage).map((line) =>
    node(line.key, {
      label: line.label,
      description: line.description,
      tooltip: line.tooltip,
      icon: { id: ICONS[line.key] ?? 'circuit-board' },
    }),
  );
}

/** The fastest and slowest refresh of shown usage rows. */
const MIN_POLL_MS = 3_000;
const MAX_POLL_MS = 15_000;
const RETRY_MS = 15_000;

/**
 * How often shown usage is asked for: as often as the agent's idle monitor samples CPU (each reply
 * says its interval), within 3–15 s: memory and GPU figures are read anew on each request.
 */
export function pollInterval(usage: WorkspaceUsage | undefined): number {
  if (!usage) return RETRY_MS;
  return Math.min(MAX_POLL_MS, Math.max(MIN_POLL_MS, usage.interval * 1000));
}

interface Watched {
  hostId: string;
  parentId: string;
  state: UsageState;
  timer: NodeJS.Timeout | null;
  inFlight: boolean;
}

/**
 * Keeps the usage of the workspace rows that are expanded and on screen current, and nothing else:
 * `watch` when VS Code asks for a row's children, `unwatch` on collapse, `setVisible(false)` while the
 * view is hidden. `fetch` answers null when the workspace no longer runs (then it is dropped);
 * `changed` is told which row to redraw. Free of `vscode`.
 */
export class UsagePoller {
  private readonly watched = new Map<string, Watched>();
  private visible = true;

  constructor(
    private readonly fetch: (hostId: string, parentId: string) => Promise<WorkspaceUsage | null>,
    private readonly changed: (parentId: string) => void,
  ) {}

  /** What is known of the row's usage now. */
  state(parentId: string): UsageState {
    return this.watched.get(parentId)?.state;
  }

  /** Starts refreshing a row's usage (at once, the first time). */
  watch(hostId: string, parentId: string): void {
    if (this.watched.has(parentId)) return;
    const entry: Watched = { hostId, parentId, state: undefined, timer: null, inFlight: false };
    this.watched.set(parentId, entry);
    if (this.visible) void this.poll(entry);
  }

  /** Stops refreshing a row's usage and forgets it. */
  unwatch(parentId: string): void {
    const entry = this.watched.get(parentId);
    if (entry?.timer) clearTimeout(entry.timer);
    this.watched.delete(parentId);
  }

  /** Pauses every refresh while the view is hidden; resumes (at once) when it shows again. */
  setVisible(visible: boolean): void {
    if (visible === this.visible) return;
    this.visible = visible;
    for (const entry of this.watched.values()) {
      if (entry.timer) clearTimeout(entry.timer);
      entry.timer = null;
      if (visible) void this.poll(entry);
    }
  }

  /** The rows being refreshed (for tests and logs). */
  get watching(): string[] {
    return [...this.watched.keys()];
  }

  dispose(): void {
    for (const id of [...this.watched.keys()]) this.unwatch(id);
  }

  private async poll(entry: Watched): Promise<void> {
    if (entry.inFlight) return;
    entry.inFlight = true;
    let usage: WorkspaceUsage | null | undefined;
    try {
      usage = await this.fetch(entry.hostId, entry.parentId);
      entry.state = usage ? { usage } : entry.state;
    } catch (err) {
      entry.state = { error: err instanceof Error ? err.message : String(err) };
    } finally {
      entry.inFlight = false;
    }
    if (this.watched.get(entry.parentId) !== entry) return;
    if (usage === null) return this.unwatch(entry.parentId);
    this.changed(entry.parentId);
    if (!this.visible) return;
    entry.timer = setTimeout(() => {
      entry.timer = null;
      void this.poll(entry);
    }, pollInterval(usage));
  }
}
