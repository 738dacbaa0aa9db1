import { z } from 'zod';
import { ExecParams, ExecResult } from './exec';
import { Duration, UserName, WorkspaceChanges, WorkspaceSpecInput } from './spec';
import { Activity, PresenceSource, StopReason, Workspace, WorkspaceRef, WorkspaceState } from './workspace';
import { WorkspaceUsage } from './usage';
import { HOME_METHODS, HomeId } from './homes';
import { BUILD_METHODS } from './build';
import { SECRET_METHODS } from './secrets';
import { ARCHIVE_METHODS } from './archive';
import { BACKUP_METHODS } from './backup';
import { CLONE_METHODS } from './clone-methods';
import { SETTINGS_METHODS } from './settings';
import { ADMIT_METHODS } from './admit';
import { FEATURE_METHODS } from './features';
import { VOLUME_METHODS } from './volume-methods';

/**
 * A workspace holding a GPU. The caller's own (or, for an admin, anyone's) are named; other users'
 * appear with `owner` and `workspace` null, so their count shows but not who they are.
 */
export const GpuHolder = z.object({ owner: UserName.nullable(), workspace: z.string().nullable() });
export type GpuHolder = z.infer<typeof GpuHolder>;

/**
 * A GPU or MIG slice of the host. A GPU in MIG mode is listed with `mig: true` and no slots: only its
 * slices (listed after it, with `parent` its UUID and `index` like "0:1") are assigned.
 */
export const HostGpu = z.object({
  index: z.string(),
  uuid: z.string(),
  name: z.string(),
  /** Total memory in bytes; null when nvidia-smi does not report it. */
  memory: z.number().nullable(),
  /** Memory in use, in bytes; null when not reported (MIG slices, `[N/A]`). */
  memoryUsed: z.number().nullable(),
  /** Utilization in percent; null when not reported. */
  utilization: z.number().nullable(),
  /** The parent GPU's UUID for a MIG slice, else null. */
  parent: z.string().nullable(),
  /** Whether this GPU is in MIG mode (then assigned only through its slices). */
  mig: z.boolean(),
  /** How many workspaces may hold it at once (0 for a GPU in MIG mode), and how many more can. */
  slots: z.number().int().min(0),
  free: z.number().int().min(0),
  holders: z.array(GpuHolder),
});
export type HostGpu = z.infer<typeof HostGpu>;

/** How long a start may wait in the GPU queue, in seconds (0 or absent: fail at once with `no_capacity`). */
const WaitForGpus = z
  .number()
  .int()
  .min(0)
  .max(7 * 86400)
  .optional();

/** The agent's idle defaults, in seconds (a workspace's spec may override the first three). */
export const IdleDefaults = z.object({
  idleTimeout: z.number(),
  attachedGrace: z.number(),
  maxLifetime: z.number(),
  /** The admin's cap on any workspace's idle timeout and attached grace; 0 or absent: none. */
  idleMax: z.number().optional(),
  warnBefore: z.number(),
  keepaliveMax: z.number(),
  interval: z.number(),
  cpuThreshold: z.number(),
});
export type IdleDefaults = z.infer<typeof IdleDefaults>;

/**
 * One workspace as the idle monitor sees it. `signals` is null until a running workspace has been
 * sampled (and for one that is not running); `decision` likewise.
 */
export const IdleStatus = z.object({
  name: z.string(),
  owner: UserName,
  state: WorkspaceState,
  lastActivity: Activity.optional(),
  /** The last present report of this run. */
  presentAt: z.string().optional(),
  signals: z
    .object({
      sampledAt: z.string(),
      /** SSH connections open. */
      attached: z.number().int(),
      /** Whose terminal input was read in the last sampling window; null when none (absent from older agents). */
      typing: PresenceSource.nullable().optional(),
      /** Cores used over the last interval; null until two samples exist. */
      cpu: z.number().nullable(),
      /** Whether its GPUs are in use; null when it holds none or nvidia-smi did not answer. */
      gpuBusy: z.boolean().nullable(),
      busy: z.boolean().nullable(),
    })
    .nullable(),
  decision: z
    .object({
      action: z.enum(['keep', 'warn', 'stop']),
      stopAt: z.string().nullable(),
      stopReason: StopReason.nullable(),
      reason: z.string(),
    })
    .nullable(),
  keepUntil: z.string().optional(),
  stopReason: StopReason.optional(),
});
export type IdleStatus = z.infer<typeof IdleStatus>;

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
  /**
   * What a spec that names none gets: CPUs, memory (bytes), idle timeout (seconds; 0: never), and the
   * admin's cap on idle timeouts (0: none). Absent from older agents.
   */
  defaults: z.object({ cpus: z.number(), memory: z.number(), idleTimeout: z.number(), idleMax: z.number() }).optional(),
  sshPorts: z.object({ first: z.number().int(), last: z.number().int(), used: z.number().int() }),
  workspaces: z.object({ total: z.number().int(), running: z.number().int() }),
  /** CPUs and memory (bytes) set aside for the workspaces that run or are being brought up, everyone's. */
  allocated: z.object({ cpus: z.number(), memory: z.number() }).optional(),
  /** GPUs and MIG slices from nvidia-smi, with who holds them; empty when there are none (see `gpuNote`). */
  gpus: z.array(HostGpu),
  /** Why `gpus` is empty or may be stale (no nvidia-smi, no GPU, nvidia-smi failed); absent when all is well. */
  gpuNote: z.string().optional(),
  /** How many workspaces may hold one GPU at the same time (1: exclusive). */
  gpuSharing: z.number().int().min(1),
  /** Labelled containers or volumes that no workspace claims: reported, never adopted or deleted. */
  orphans: z.array(z.string()),
  /**
   * Disk taken by each user's workspaces (homes and writable layers; the caller only, or everyone for
   * an admin), with the soft quota an admin set (null: none); `at` is when it was measured, null before.
   */
  disk: z
    .object({
      at: z.string().nullable(),
      users: z.array(z.object({ user: UserName, bytes: z.number().int().min(0), quota: z.number().int().nullable() })),
    })
    .optional(),
  /**
   * Docker-in-Docker (issue 13): whether the admin lets workspaces run Docker inside (`docker: true`,
   * privileged: root on the host). Absent from older agents, which do not.
   */
  dockerInDocker: z.boolean().optional(),
  /** Registries the agent pulls an image the host lacks from (`--allow-pull`); absent: none, or an older agent. */
  pullRegistries: z.array(z.string()).optional(),
});
export type HostInfo = z.infer<typeof HostInfo>;

/** A bearer token as listings show it: never the secret or its hash. */
export const TokenInfo = z.object({
  /** Short, non-secret identifier to revoke it by. */
  id: z.string(),
  user: UserName,
  /** Whether its user is an admin (admin rights belong to the user, not the token). */
  admin: z.boolean(),
  /** What it was made for, e.g. "alice-laptop"; null when none was given. */
  label: z.string().nullable(),
  createdAt: z.string(),
  /** When a connection last authenticated with it (kept to about a minute); null if never. */
  lastUsedAt: z.string().nullable(),
  /** Whether it is the token of the connection asking. */
  current: z.boolean(),
});
export type TokenInfo = z.infer<typeof TokenInfo>;

/** The ids tokens are known by. */
export const TokenId = z.string().regex(/^[0-9a-f]{8}$/, 'must be a token id of 8 hex digits, as berth token ls shows');

/** An authorized SSH public key as listings show it. */
export const KeyInfo = z.object({
  /** SHA-256 fingerprint as ssh-keygen -l prints it, e.g. "SHA256:…". */
  fingerprint: z.string(),
  type: z.string(),
  /** The comment of the .pub file it was added from (often user@host); empty when none. */
  comment: z.string(),
  /** When it was added; null for keys added before Berth recorded it. */
  addedAt: z.string().nullable(),
});
export type KeyInfo = z.infer<typeof KeyInfo>;

const Empty = z.object({}).strict();
const WorkspaceResult = z.object({ workspace: Workspace });

/**
 * The method table: every request the agent serves, with its params and result schemas. The agent's
 * handler map is typed from it, so a method without a handler does not compile.
 */
export const METHODS = {
  'host.info': { params: Empty, result: HostInfo },
  /** The images present on the host as `repo:tag` (sorted; untagged ones left out), to choose from; never pulls. */
  'host.images': { params: Empty, result: z.object({ images: z.array(z.string()) }) },
  /** The caller's workspaces; an admin's list holds everyone's. */
  'workspace.list': {
    params: Empty,
    result: z.object({ workspaces: z.array(Workspace) }),
  },
  'workspace.get': { params: WorkspaceRef.strict(), result: WorkspaceResult },
  /** `waitForGpus`: queue up to that many seconds when the GPUs asked for are held (progress tells the place). */
  /** `home`: reattach that kept home (the caller's own, used by no workspace) instead of making an empty one. */
  'workspace.create': {
    params: WorkspaceSpecInput.extend({ waitForGpus: WaitForGpus, home: HomeId.optional() }),
    result: WorkspaceResult,
  },
  'workspace.start': { params: WorkspaceRef.extend({ waitForGpus: WaitForGpus }).strict(), result: WorkspaceResult },
  'workspace.stop': { params: WorkspaceRef.strict(), result: WorkspaceResult },
  /** Stops (when it runs) and starts again as one operation, keeping the GPUs it holds; a stopped or failed one is started. */
  'workspace.restart': { params: WorkspaceRef.extend({ waitForGpus: WaitForGpus }).strict(), result: WorkspaceResult },
  'workspace.delete': {
    /**
     * With `deleteData` the home goes to the trash (when the host keeps one), or at once with `now`.
     * `reason` (e.g. `berth move`'s "moved to host b") is the workspace's message while it is deleted
     * and goes into the agent's log.
     */
    params: WorkspaceRef.extend({
      deleteData: z.boolean().default(false),
      now: z.boolean().optional(),
      reason: z.string().min(1).max(200).optional(),
    }).strict(),
    /**
     * `keptVolume` names the home volume left behind when data was not deleted; `trashedUntil`, when
     * the home went to the trash, is when it will be deleted for good.
     */
    result: z.object({
      id: z.string(),
      name: z.string(),
      keptVolume: z.string().nullable(),
      trashedUntil: z.string().optional(),
      /** Volumes (issue 13): the owner's named volumes it mounted, kept (they outlive every workspace). */
      namedVolumes: z.array(z.string()).optional(),
    }),
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
   * "Keep running until now + seconds": no idle stop before then. Capped by the agent's maximum and
   * by the end of the run's `maxLifetime`; `capped` says the request was cut. Without `seconds`, the
   * agent's default extension. With `end`, the keepalive ends now (idle stops apply again from the
   * last activity; `keepUntil` is then now).
   */
  'workspace.keepalive': {
    params: WorkspaceRef.extend({ seconds: Duration('').min(1).optional(), end: z.literal(true).optional() }).strict(),
    result: z.object({ workspace: Workspace, keepUntil: z.string(), capped: z.boolean() }),
  },
  /** Runs a command in a running workspace as its user; protocol/exec.ts describes its streams. */
  'workspace.exec': { params: ExecParams, result: ExecResult },
  /**
   * The idle monitor's view of the caller's workspaces (an admin's: everyone's) for `berth idle`. With
   * `dryRun`, running workspaces are sampled afresh and the policy evaluated now, without acting.
   */
  'idle.status': {
    params: z.object({ dryRun: z.boolean().default(false) }).strict(),
    result: z.object({ now: z.string(), settings: IdleDefaults, workspaces: z.array(IdleStatus) }),
  },
  /** What a running workspace uses now (CPU, memory, GPUs); `conflict` when it is not running. */
  'workspace.usage': { params: WorkspaceRef.strict(), result: z.object({ usage: WorkspaceUsage }) },
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
  /** The SSH public keys of `user` (default: the caller; only admins may list someone else's). */
  'user.keys': {
    params: z.object({ user: UserName.optional() }).strict(),
    result: z.object({ user: UserName, keys: z.array(KeyInfo) }),
  },
  /**
   * Removes a key of `user` (default: the caller; admins: anyone) by its fingerprint; every workspace
   * of the user, running ones included, stops accepting it at once.
   */
  'user.removeKey': {
    params: z.object({ user: UserName.optional(), fingerprint: z.string().min(1).max(256) }).strict(),
    result: z.object({ user: UserName, fingerprint: z.string(), keys: z.number().int() }),
  },
  /**
   * Tokens without their secrets: the caller's own; an admin's list holds everyone's, or `user`'s
   * when named.
   */
  'user.tokens': {
    params: z.object({ user: UserName.optional() }).strict(),
    result: z.object({ tokens: z.array(TokenInfo) }),
  },
  /**
   * Revokes a token by `id`, or with `all` every token of `user`: the caller's own; admins any.
   * Connections authenticated with a revoked token are closed at once.
   */
  'user.revokeToken': {
    params: z.union([z.object({ id: TokenId }).strict(), z.object({ user: UserName, all: z.literal(true) }).strict()]),
    result: z.object({ revoked: z.array(TokenInfo) }),
  },
  /**
   * Admins only: the most GPUs `user` may hold at once (over all their running workspaces); null
   * gives them the agent's default again.
   */
  /** Admins only: every user of the host's users file, with their live tokens, keys, quotas and workspaces. */
  'user.list': {
    params: z.object({}).strict(),
    result: z.object({
      users: z.array(
        z.object({
          name: UserName,
          admin: z.boolean(),
          tokens: z.number().int(),
          keys: z.number().int(),
          gpuQuota: z.number().int().nullable(),
          diskQuota: z.number().int().nullable(),
          lastUsedAt: z.string().nullable(),
          workspaces: z.array(z.string()),
        }),
      ),
    }),
  },
  'user.setQuota': {
    /** `gpus`, `disk` (bytes, a soft quota on homes and writable layers): null removes the quota; absent keeps it. */
    params: z
      .object({
        user: UserName,
        gpus: z.number().int().min(0).max(1024).nullable().optional(),
        disk: z
          .number()
          .int()
          .min(0)
          .max(2 ** 53 - 1)
          .nullable()
          .optional(),
      })
      .strict()
      .refine((p) => p.gpus !== undefined || p.disk !== undefined, 'give gpus, disk or both'),
    result: z.object({
      user: UserName,
      gpus: z.number().int().nullable(),
      effective: z.number().int().nullable(),
      disk: z.number().int().nullable().optional(),
    }),
  },
  ...HOME_METHODS,
  ...VOLUME_METHODS,
  ...BUILD_METHODS,
  ...SECRET_METHODS,
  ...ARCHIVE_METHODS,
  ...BACKUP_METHODS,
  ...CLONE_METHODS,
  ...SETTINGS_METHODS,
  ...ADMIT_METHODS,
  ...FEATURE_METHODS,
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
