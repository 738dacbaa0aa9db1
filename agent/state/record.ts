import { z } from 'zod';
import { LIFECYCLE_STAGES, Workspace, type AssignedGpu, type SshEndpoint } from '../../protocol';

/**
 * What the store keeps for each workspace: the protocol object without its derived `ssh` endpoint,
 * plus what only the agent needs. Its `history` (optional: older records have none) is kept here
 * always, but `toWorkspace` leaves it out: only `workspace.get` carries it (agent/state/history.ts).
 */
export const WorkspaceRecord = Workspace.omit({ ssh: true, gpus: true }).extend({
  id: z.string().regex(/^[a-f0-9]{12}$/),
  /** Host port (on 127.0.0.1) published for the workspace's sshd; held until the workspace is deleted. */
  port: z.number().int(),
  /** Public host key line (`ssh-ed25519 AAAA…`); the private half lives in the workspace's directory. */
  hostKey: z.string(),
  /** Set when a delete is under way, so that a restarted agent can finish it as asked. */
  deleteData: z.boolean().optional(),
  /**
   * UUIDs of the GPUs (or MIG slices) it holds: written before its container is made, cleared when it
   * stops, fails or is deleted. The agent's GPU holders are rebuilt from these after a restart.
   */
  assignedGpus: z.array(z.string()).optional(),
  /** The idle monitor's clocks for the current run (ISO times), kept so that a restart resets none. */
  idle: z
    .object({
      /** When this run began (for `maxLifetime`). */
      startedAt: z.string(),
      /** The last present report, busy sample, keepalive or start. */
      lastWorkAt: z.string(),
      /** The last present report. */
      lastPresentAt: z.string().optional(),
      /** The last sample that saw input on one of its terminals. */
      lastTypingAt: z.string().optional(),
      /** When the current stretch of open SSH connections began (absent while none is open). */
      attachedSince: z.string().optional(),
      /** The last time an SSH connection was seen. */
      lastAttachedAt: z.string().optional(),
      /** The warning sent for the pending stop: when, and the stop time it announced. */
      warning: z.object({ at: z.string(), stopAt: z.string() }).optional(),
    })
    .optional(),
  /** Trash: set with `deleteData` when the home is to be deleted at once rather than trashed. */
  deleteNow: z.boolean().optional(),
  /**
   * Clone on create (issue 15): the first step of the last start that failed without failing the
   * workspace (its failure is in `message`), so `workspace.clone` knows a clone failure is its own
   * to clear. Replaced with the message at every state change.
   */
  failedStage: z.enum(['clone', 'dotfiles', ...LIFECYCLE_STAGES]).optional(),
});
export type WorkspaceRecord = z.infer<typeof WorkspaceRecord>;

/** Names Docker objects after the immutable id, never the name: a rename never touches data. */
export const containerName = (id: string): string => `berth-${id}`;
/** The home volume of a workspace. */
export const volumeName = (id: string): string => `berth-${id}-home`;

/**
 * The protocol view of a record. `describeGpu` names a held GPU (index, model) from the inventory.
 */
export function toWorkspace(
  record: WorkspaceRecord,
  sshHost: string,
  describeGpu: (uuid: string) => AssignedGpu = (uuid) => ({ uuid, index: '?', name: 'unknown GPU' }),
): Workspace {
  const ssh: SshEndpoint = { host: sshHost, port: record.port, user: record.spec.user, hostKey: record.hostKey };
  const workspace: Workspace = {
    id: record.id,
    name: record.name,
    owner: record.owner,
    spec: record.spec,
    state: record.state,
    since: record.since,
    createdAt: record.createdAt,
    ssh,
  };
  if (record.message !== undefined) workspace.message = record.message;
  if (record.lastActivity !== undefined) workspace.lastActivity = record.lastActivity;
  if (record.idleStopAt !== undefined) workspace.idleStopAt = record.idleStopAt;
  if (record.keepUntil !== undefined) workspace.keepUntil = record.keepUntil;
  if (record.stopReason !== undefined) workspace.stopReason = record.stopReason;
  if (record.assignedGpus?.length) workspace.gpus = record.assignedGpus.map(describeGpu);
  if (record.archivedAt !== undefined) workspace.archivedAt = record.archivedAt;
  return workspace;
}

/**
 * Whether the workspace is archived, its container gone: then it holds no SSH port (an archive being
 * made still holds it, its container may still publish it).
 */
export const isArchived = (record: WorkspaceRecord): boolean =>
  record.archivedAt !== undefined && record.state === 'stopped';
