import { z } from 'zod';
import { Workspace, type SshEndpoint } from '../../protocol';

/**
 * What the store keeps for each workspace: the protocol object without its derived `ssh` endpoint,
 * plus what only the agent needs.
 */
export const WorkspaceRecord = Workspace.omit({ ssh: true }).extend({
  id: z.string().regex(/^[a-f0-9]{12}$/),
  /** Host port (on 127.0.0.1) published for the workspace's sshd; held until the workspace is deleted. */
  port: z.number().int(),
  /** Public host key line (`ssh-ed25519 AAAA…`); the private half lives in the workspace's directory. */
  hostKey: z.string(),
  /** Set when a delete is under way, so that a restarted agent can finish it as asked. */
  deleteData: z.boolean().optional(),
});
export type WorkspaceRecord = z.infer<typeof WorkspaceRecord>;

/** Names Docker objects after the immutable id, never the name: a rename never touches data. */
export const containerName = (id: string): string => `berth-${id}`;
/** The home volume of a workspace. */
export const volumeName = (id: string): string => `berth-${id}-home`;

/** The protocol view of a record. */
export function toWorkspace(record: WorkspaceRecord, sshHost: string): Workspace {
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
  return workspace;
}
