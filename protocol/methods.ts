import { z } from 'zod';
import { UserName, WorkspaceChanges, WorkspaceSpecInput } from './spec';
import { Activity, Workspace, WorkspaceRef } from './workspace';

/** What `host.info` reports about the compute host and its agent. */
export const HostInfo = z.object({
  agentVersion: z.string(),
  protocol: z.number().int(),
  host: z.string(),
  user: z.object({ name: UserName, admin: z.boolean() }),
  docker: z.object({ version: z.string(), apiVersion: z.string() }).nullable(),
  cpus: z.number(),
  memory: z.number(),
  defaultImage: z.string(),
  sshPorts: z.object({ first: z.number().int(), last: z.number().int(), used: z.number().int() }),
  workspaces: z.object({ total: z.number().int(), running: z.number().int() }),
  gpus: z.array(z.object({ index: z.number().int(), uuid: z.string(), name: z.string() })),
  /** Labelled containers or volumes that no workspace claims: reported, never adopted or deleted. */
  orphans: z.array(z.string()),
});
export type HostInfo = z.infer<typeof HostInfo>;

const Empty = z.object({}).strict();
const WorkspaceResult = z.object({ workspace: Workspace });

/**
 * The method table: every request the agent serves, with its params and result schemas. The agent's
 * handler map is typed from it, so a method without a handler does not compile.
 */
export const METHODS = {
  'host.info': { params: Empty, result: HostInfo },
  /** The caller's workspaces; an admin's list holds everyone's. */
  'workspace.list': {
    params: Empty,
    result: z.object({ workspaces: z.array(Workspace) }),
  },
  'workspace.get': { params: WorkspaceRef.strict(), result: WorkspaceResult },
  'workspace.create': { params: WorkspaceSpecInput, result: WorkspaceResult },
  'workspace.start': { params: WorkspaceRef.strict(), result: WorkspaceResult },
  'workspace.stop': { params: WorkspaceRef.strict(), result: WorkspaceResult },
  'workspace.delete': {
    params: WorkspaceRef.extend({ deleteData: z.boolean().default(false) }).strict(),
    /** `keptVolume` names the home volume left behind when data was not deleted. */
    result: z.object({ id: z.string(), name: z.string(), keptVolume: z.string().nullable() }),
  },
  'workspace.update': {
    params: WorkspaceRef.extend({ changes: WorkspaceChanges }).strict(),
    result: WorkspaceResult,
  },
  'workspace.logs': {
    /** With `follow`, output arrives as `workspace.log` events until the request is cancelled or the container stops. */
    params: WorkspaceRef.extend({
      tail: z.number().int().min(0).max(100_000).default(200),
      follow: z.boolean().default(false),
    }).strict(),
    result: z.object({ text: z.string() }),
  },
  /**
   * A client says someone is working in the workspace (edits, terminal input, window focus). Clients
   * send it at most about once a minute; the agent coalesces more frequent reports.
   */
  'workspace.activity': {
    params: WorkspaceRef.extend({ signal: z.literal('present').default('present') }).strict(),
    result: z.object({ lastActivity: Activity }),
  },
  /**
   * "Keep running until now + seconds": no idle stop before then. Capped by the agent's maximum;
   * `capped` says the request was cut to it. Without `seconds`, the agent's default extension.
   */
  'workspace.keepalive': {
    params: WorkspaceRef.extend({ seconds: z.number().int().min(1).optional() }).strict(),
    result: z.object({ workspace: Workspace, keepUntil: z.string(), capped: z.boolean() }),
  },
  'user.addKey': {
    /** `user` defaults to the caller; only admins may add keys for someone else. */
    params: z
      .object({
        user: UserName.optional(),
        key: z
          .string()
          .min(1)
          .max(16 * 1024),
      })
      .strict(),
    result: z.object({ user: UserName, fingerprint: z.string(), keys: z.number().int() }),
  },
} as const;

export type MethodTable = typeof METHODS;
/** Name of a method in {@link METHODS}. */
export type MethodName = keyof MethodTable;
/** Params a client sends (defaults may be omitted). */
export type ParamsInput<M extends MethodName> = z.input<MethodTable[M]['params']>;
/** Params as a handler receives them (defaults applied). */
export type Params<M extends MethodName> = z.output<MethodTable[M]['params']>;
/** Result of a method. */
export type Result<M extends MethodName> = z.output<MethodTable[M]['result']>;

/** Narrows a string to a known method name. */
export function isMethodName(name: string): name is MethodName {
  return Object.prototype.hasOwnProperty.call(METHODS, name);
}
