import { z } from 'zod';
import { UserName, WorkspaceName, WorkspaceSpec } from './spec';

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

/** A workspace as both ends see it. */
export const Workspace = z.object({
  id: z.string(),
  name: WorkspaceName,
  owner: UserName,
  spec: WorkspaceSpec,
  state: WorkspaceState,
  /** ISO time the workspace entered `state`. */
  since: z.string(),
  /** Why it is in this state, when that is worth saying (a failure, a stop from outside Berth…). */
  message: z.string().optional(),
  createdAt: z.string(),
  ssh: SshEndpoint,
});
export type Workspace = z.infer<typeof Workspace>;

/** How requests name a workspace: by name, within the caller's workspaces or (admins) another owner's. */
export const WorkspaceRef = z.object({
  name: WorkspaceName,
  owner: UserName.optional(),
});
export type WorkspaceRef = z.infer<typeof WorkspaceRef>;
