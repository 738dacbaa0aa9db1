import { z } from 'zod';
import { StoredWorkspaceSpec, UserName, WorkspaceName } from './spec';

/** Lifecycle states; `running` means sshd answers on the published port. */
export const WORKSPACE_STATES = [
  'creating',
  'starting',
  'running',
  'stopping',
  'stopped',
  'failed',
  'deleting',
] as const;
export const WorkspaceState = z.enum(WORKSPACE_STATES);
export type WorkspaceState = z.infer<typeof WorkspaceState>;

/** Where and how to reach a workspace's sshd. `hostKey` is the full public key line to pin. */
export const SshEndpoint = z.object({
  host: z.string(),
  port: z.number().int().min(1).max(65535),
  user: z.string(),
  hostKey: z.string(),
});
export type SshEndpoint = z.infer<typeof SshEndpoint>;

/**
 * What counts as activity: someone `present` (a client reported edits, typing or focus), an SSH
 * connection `attached`, the workspace `busy` (CPU or GPU), an explicit `keepalive`, or its start.
 */
export const ACTIVITY_SIGNALS = ['present', 'attached', 'busy', 'keepalive', 'started'] as const;
export const ActivitySignal = z.enum(ACTIVITY_SIGNALS);
export type ActivitySignal = z.infer<typeof ActivitySignal>;

/**
 * Where a presence came from: a client's report (`extension`; also `berth ssh` as it enters), or
 * input read from one of the workspace's terminals, seen by the agent (an SSH login's, a VS Code
 * integrated terminal's, any other: a tmux pane, `docker exec -it`).
 */
export const PRESENCE_SOURCES = ['extension', 'ssh terminal', 'vscode terminal', 'terminal'] as const;
export const PresenceSource = z.enum(PRESENCE_SOURCES);
export type PresenceSource = z.infer<typeof PresenceSource>;

/** The last time a workspace was active, which signal said so, and for a presence where it came from. */
export const Activity = z.object({ at: z.string(), signal: ActivitySignal, source: PresenceSource.optional() });
export type Activity = z.infer<typeof Activity>;

/**
 * Why a workspace last stopped: a user asked, the idle monitor stopped it (nobody present and not
 * busy; an attached connection outlived `attachedGrace`; `maxLifetime` reached), it stopped outside
 * Berth (docker stop, a crash), or it failed to start.
 */
export const STOP_REASONS = ['user', 'idle', 'attached-grace', 'max-lifetime', 'outside', 'failed'] as const;
export const StopReason = z.enum(STOP_REASONS);
export type StopReason = z.infer<typeof StopReason>;

/** A GPU (or MIG slice) a workspace holds while it runs; `index` is nvidia-smi's ("0", or "0:1" for a MIG slice). */
export const AssignedGpu = z.object({ uuid: z.string(), index: z.string(), name: z.string() });
export type AssignedGpu = z.infer<typeof AssignedGpu>;

/**
 * What a workspace takes on the host's disk, as Docker's disk-usage API last measured it (the agent
 * measures every few minutes: the walk over a volume costs I/O). null: not measured (yet).
 */
export const DiskUse = z.object({
  /** Bytes in the home volume. */
  home: z.number().int().min(0).nullable(),
  /** Bytes in the container's writable layer (packages installed outside the home, caches in /tmp...). */
  layer: z.number().int().min(0).nullable(),
  /** When it was measured (ISO time). */
  at: z.string(),
  /** Set when the owner's workspaces together take more than the soft disk quota an admin set. */
  overQuota: z.object({ used: z.number().int().min(0), quota: z.number().int().min(0) }).optional(),
});
export type DiskUse = z.infer<typeof DiskUse>;

/**
 * Detail view: what happened to a workspace, as the agent records it at each transition (kept per
 * workspace, the last {@link HISTORY_LIMIT}): made, started, stopped (with why), failed (with the
 * message), its spec changed (`updated`), or changed while running so that its container was made
 * again (`recreated`).
 */
export const HISTORY_EVENTS = ['created', 'started', 'stopped', 'failed', 'updated', 'recreated'] as const;
export const HistoryEvent = z.enum(HISTORY_EVENTS);
export type HistoryEvent = z.infer<typeof HistoryEvent>;

/** How many lifecycle entries the agent keeps per workspace (the oldest go first). */
export const HISTORY_LIMIT = 50;

/** One lifecycle entry: when (ISO time), what, and for a stop why; `message` what the agent said then. */
export const HistoryEntry = z.object({
  at: z.string(),
  event: HistoryEvent,
  reason: StopReason.optional(),
  message: z.string().optional(),
});
export type HistoryEntry = z.infer<typeof HistoryEntry>;

/** A workspace as both ends see it. */
export const Workspace = z.object({
  id: z.string(),
  name: WorkspaceName,
  owner: UserName,
  spec: StoredWorkspaceSpec,
  state: WorkspaceState,
  /** ISO time the workspace entered `state`. */
  since: z.string(),
  /** Why it is in this state, when that is worth saying (a failure, a stop from outside Berth…). */
  message: z.string().optional(),
  createdAt: z.string(),
  ssh: SshEndpoint,
  /** The last activity the idle monitor saw (kept across stops and agent restarts). */
  lastActivity: Activity.optional(),
  /** While running: the ISO time the idle monitor will stop it if nothing changes; absent when it never will. */
  idleStopAt: z.string().optional(),
  /** While running: an explicit "keep running until" (ISO time) from `workspace.keepalive`. */
  keepUntil: z.string().optional(),
  /** While stopped: why it stopped. */
  stopReason: StopReason.optional(),
  /** The GPUs it holds (from start until stop); absent when it holds none. */
  gpus: z.array(AssignedGpu).optional(),
  /** Its disk use; absent until first measured. */
  disk: DiskUse.optional(),
  /** While a create or start waits for GPUs: its place in the queue (1: next) and the GPUs it waits for. */
  gpuQueue: z.object({ position: z.number().int().min(1), gpus: z.number().int().min(1) }).optional(),
  // Detail view: only `workspace.get` carries it (a list, and every `workspace.changed`, stay light).
  /**
   * The recent lifecycle history, oldest first; present in `workspace.get` replies only. Unbounded
   * here (the agent keeps {@link HISTORY_LIMIT}) so that a newer agent keeping more is still read.
   */
  history: z.array(HistoryEntry).optional(),
  /**
   * Archive: when it was archived. An archived workspace is `stopped`, has no container, holds no SSH
   * port or GPU (`ssh.port` is the one it had, taken back at unarchive when still free).
   */
  archivedAt: z.string().optional(),
});
export type Workspace = z.infer<typeof Workspace>;

/** How requests name a workspace: by name, within the caller's workspaces or (admins) another owner's. */
export const WorkspaceRef = z.object({
  name: WorkspaceName,
  owner: UserName.optional(),
});
export type WorkspaceRef = z.infer<typeof WorkspaceRef>;
