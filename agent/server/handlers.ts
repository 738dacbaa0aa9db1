import * as os from 'node:os';
import * as path from 'node:path';
import {
  BerthError,
  PROTOCOL_VERSION,
  type EventData,
  type EventName,
  type ExecInput,
  type ExecResize,
  type MethodName,
  type Params,
  type Result,
  type Workspace,
} from '../../protocol';
import type { AgentConfig } from '../config';
import type { Gpus } from '../gpu/gpus';
import { execHandlers } from './exec-handlers';
import { idleHandlers } from './idle-handlers';
import { MAX_FOLLOWS_PER_CONNECTION, MAX_FOLLOWS_PER_USER, newestLogs, Tally } from './limits';
import type { IdleMonitor } from '../workspaces/idle-monitor';
import type { Runtime } from '../runtime/runtime';
import type { User, Users } from '../users';
import type { Reconciler } from '../workspaces/reconciler';
import type { OpContext, WorkspaceService } from '../workspaces/service';
import { AGENT_VERSION } from '../version';
import { userHandlers } from './user-handlers';
import { usageHandler } from './usage-handler';
import { homeHandlers } from './home-handlers';
import { volumeHandlers } from './volume-handlers';
import type { Homes } from '../workspaces/homes';
import type { NamedVolumes } from '../workspaces/named-volumes';
import type { DiskUsage } from '../workspaces/disk-usage';
import { BUILD_REPOSITORY, type ImageBuilder } from '../build/builder';
import { buildHandlers } from './build-handlers';
import type { SecretVault } from '../secrets/vault';
import type { SecretStager } from '../secrets/stage';
import { requireSecrets, secretHandlers } from './secret-handlers';
import { archiveHandlers } from './archive-handlers';
import type { Trash } from '../workspaces/trash';
import { backupHandlers } from './backup-handlers';
import { cloneHandlers } from './clone-handlers';
import { settingsHandlers } from './settings-handlers';
import { admitHandlers } from './admit-handlers';
import { featureHandlers } from './feature-handlers';
import { FeatureStore } from '../features/store';
import { Backups } from '../workspaces/backup';
import { dockerAllowedFor } from '../workspaces/docker-rule';

/** What a handler knows about its request: the caller, the request id, cancellation, and a private channel. */
export interface HandlerContext extends OpContext {
  user: User;
  /** The id of the token the connection authenticated with. */
  tokenId: string;
  /** The connection the request came on, unique for the agent's life. */
  connectionId: number;
  /** Sends `workspace.log` output to the requesting connection only. */
  sendLog(text: string): void;
  /**
   * Sends an event tied to this request to the requesting connection only; `onSent` runs once it
   * has been written out (not when it is dropped with a closing connection).
   */
  sendEvent<E extends EventName>(event: E, data: EventData<E>, onSent?: () => void): void;
  /**
   * Sends bytes of the request's output as one binary frame (protocol/build.ts `bytesFrameHeader`;
   * `workspace.backup`'s file); `onSent` as for {@link sendEvent}. Absent for a request whose id is
   * not a number below 2^32 (a frame's header holds no other).
   */
  sendBytes?(bytes: Buffer, onSent?: () => void): void;
  /** Receives the request's stdin and resize frames (only `workspace.exec` takes them). */
  onInput(listener: (frame: ExecInput | ExecResize) => void): void;
  /** Receives the request's binary frames of bytes (an `image.build`'s context, a `workspace.restore`'s file). */
  onBytes(listener: (bytes: Buffer) => void): void;
}

/** One handler per method of the protocol: a missing one is a compile error. */
export type Handlers = { [M in MethodName]: (params: Params<M>, ctx: HandlerContext) => Promise<Result<M>> };

export interface HandlerDeps {
  config: AgentConfig;
  service: WorkspaceService;
  users: Users;
  runtime: Runtime;
  reconciler: Reconciler;
  gpus: Gpus;
  monitor: IdleMonitor;
  disk?: DiskUsage;
  homes?: Homes;
  /** Named volumes (issue 13): listed and deleted as objects of their own. */
  volumes?: NamedVolumes;
  builder?: ImageBuilder;
  /** Secrets (issue 15): the encrypted store, and what hands values to starting workspaces. */
  secrets?: { vault: SecretVault; stager: SecretStager };
  trash?: Trash;
}

/** The CPUs and memory held by workspaces that run or are being brought up (what a new one competes with). */
function allocated(workspaces: readonly Workspace[]): { cpus: number; memory: number } {
  const holding = workspaces.filter(
    (ws) => ws.state === 'running' || ws.state === 'starting' || ws.state === 'creating',
  );
  return {
    cpus: holding.reduce((sum, ws) => sum + ws.spec.cpus, 0),
    memory: holding.reduce((sum, ws) => sum + ws.spec.memory, 0),
  };
}

/**
 * Takes a followed log stream for the caller, or refuses with `no_capacity` when its connection or
 * its user holds the most allowed: each stream holds a connection to dockerd until it is cancelled.
 */
function followSlots(): (ctx: HandlerContext) => () => void {
  const perConnection = new Tally<number>(MAX_FOLLOWS_PER_CONNECTION);
  const perUser = new Tally<string>(MAX_FOLLOWS_PER_USER);
  return ({ connectionId, user }) => {
    if (perConnection.full(connectionId)) {
      throw new BerthError(
        'no_capacity',
        `this connection follows ${perConnection.max} log streams already, the most allowed; cancel one first`,
      );
    }
    if (perUser.full(user.name)) {
      throw new BerthError(
        'no_capacity',
        `${user.name} follows ${perUser.max} log streams already (all connections together), the most allowed; end one first (berth logs -f)`,
      );
    }
    const releaseConnection = perConnection.take(connectionId);
    const releaseUser = perUser.take(user.name);
    return () => {
      releaseConnection();
      releaseUser();
    };
  };
}

/** The agent's request handlers; they check permissions and delegate to the workspace service. */
export function createHandlers({
  config,
  service,
  users,
  runtime,
  reconciler,
  gpus,
  monitor,
  disk,
  homes,
  volumes,
  builder,
  secrets,
  trash,
}: HandlerDeps): Handlers {
  const follow = followSlots();
  return {
    'host.info': async (_params, ctx) => {
      const docker = await runtime.info().catch(() => null);
      await gpus.refresh();
      const all = service.list({ name: ctx.user.name, admin: true });
      return {
        agentVersion: AGENT_VERSION,
        protocol: PROTOCOL_VERSION,
        host: os.hostname(),
        user: ctx.user,
        docker,
        cpus: os.cpus().length,
        memory: os.totalmem(),
        defaultImage: config.defaults.image,
        defaults: {
          cpus: config.defaults.cpus,
          memory: config.defaults.memoryBytes,
          idleTimeout: config.idle.timeout,
          idleMax: config.idle.idleMax,
        },
        sshPorts: {
          first: config.ports.first,
          last: config.ports.last,
          // Archived workspaces hold no port.
          used: all.filter((ws) => !(ws.archivedAt && ws.state === 'stopped')).length,
        },
        workspaces: { total: all.length, running: all.filter((ws) => ws.state === 'running').length },
        allocated: allocated(all),
        gpus: gpus.hostGpus(ctx.user),
        ...(gpus.note ? { gpuNote: gpus.note } : {}),
        gpuSharing: config.gpu.sharing,
        orphans: ctx.user.admin ? reconciler.orphans : [],
        ...(disk
          ? {
              disk: {
                at: disk.at,
                users: ctx.user.admin ? disk.users() : [disk.user(ctx.user.name)],
              },
            }
          : {}),
        dockerInDocker: dockerAllowedFor(config, ctx.user.name),
        ...(config.allowPull?.length ? { pullRegistries: config.allowPull } : {}),
      };
    },
    // Another user's builds are theirs: not listed (a name would tell what they built), not usable;
    // another agent's on a shared engine are that agent's.
    'host.images': async (_params, ctx) => ({
      images: (await runtime.listImages()).filter(
        (tag) => !tag.startsWith(`${BUILD_REPOSITORY}/`) || builder?.isOwnTag(tag, ctx.user.name) === true,
      ),
    }),
    'workspace.list': async (_params, ctx) => ({ workspaces: service.list(ctx.user) }),
    'workspace.get': async (params, ctx) => ({ workspace: service.get(ctx.user, params) }),
    'workspace.create': async ({ waitForGpus, home, ...spec }, ctx) => {
      disk?.requireUnderQuota(ctx.user.name);
      requireSecrets(secrets?.vault, ctx.user, spec.secrets, spec.env);
      return { workspace: await service.create(ctx.user, spec, { ...ctx, waitForGpus }, home) };
    },
    'workspace.start': async ({ waitForGpus, ...ref }, ctx) => ({
      workspace: await service.start(ctx.user, ref, { ...ctx, waitForGpus }),
    }),
    'workspace.stop': async (params, ctx) => ({ workspace: await service.stop(ctx.user, params, ctx) }),
    'workspace.restart': async ({ waitForGpus, ...ref }, ctx) => ({
      workspace: await service.restart(ctx.user, ref, { ...ctx, waitForGpus }),
    }),
    'workspace.delete': async ({ deleteData, now, reason, ...ref }, ctx) =>
      service.delete(ctx.user, ref, deleteData, ctx, now === true, reason),
    'workspace.update': async ({ changes, ...ref }, ctx) => {
      if (changes.secrets !== undefined || changes.env !== undefined) {
        // The owner's secrets: they are what its starts hand over, whoever changes the spec.
        const { spec, owner } = service.resolve(ctx.user, ref);
        const refs = changes.secrets === undefined ? spec.secrets : changes.secrets;
        requireSecrets(secrets?.vault, { name: owner, admin: false }, refs, changes.env ?? spec.env);
      }
      return { workspace: await service.update(ctx.user, ref, changes, ctx) };
    },
    'workspace.logs': async ({ tail, follow: following, ...ref }, ctx) => {
      const record = service.resolve(ctx.user, ref);
      if (!following) return { text: newestLogs(await runtime.logs(record.id, tail)) };
      // Output streams through `workspace.log` events until the container stops or the request is cancelled.
      const release = follow(ctx);
      try {
        const signal = ctx.signal ?? new AbortController().signal;
        await runtime.followLogs(record.id, tail, (chunk) => ctx.sendLog(chunk), signal);
        if (signal.aborted) throw new BerthError('cancelled', 'log stream cancelled');
        return { text: '' };
      } finally {
        release();
      }
    },
    ...execHandlers({ service, runtime, secrets: secrets?.stager }),
    ...idleHandlers({ config, service, monitor }),
    'workspace.usage': usageHandler({ config, service, monitor, gpus }),
    'user.setQuota': async ({ user, gpus: gpuQuota, disk: diskQuota }, ctx) => {
      if (!ctx.user.admin) throw new BerthError('forbidden', 'only an admin may set quotas');
      if (gpuQuota !== undefined) await users.setGpuQuota(user, gpuQuota);
      if (diskQuota !== undefined) {
        await users.setDiskQuota(user, diskQuota);
        disk?.setQuota(user, diskQuota);
      }
      const gpus = await users.gpuQuota(user);
      const quotas = await users.diskQuotas();
      return { user, gpus, effective: gpus ?? config.gpu.defaultQuota, disk: quotas.get(user) ?? null };
    },
    'user.addKey': async ({ user, key }, ctx) => {
      const target = user ?? ctx.user.name;
      if (target !== ctx.user.name && !ctx.user.admin) {
        throw new BerthError('forbidden', `only an admin may add keys for another user (${target})`);
      }
      const added = await users.addKey(target, key);
      await service.refreshKeys(target);
      return { user: target, ...added };
    },
    ...userHandlers({ users, service }),
    ...homeHandlers({ homes, disk }),
    ...volumeHandlers({ volumes, disk }),
    ...buildHandlers({ config, service, builder }),
    ...secretHandlers({ vault: secrets?.vault, service }),
    ...archiveHandlers({ service, trash }),
    ...admitHandlers({ service, vault: secrets?.vault }),
    ...backupHandlers(new Backups(service), config.transferStallMs),
    ...cloneHandlers({ service }),
    ...settingsHandlers(service.deps.settings),
    ...featureHandlers(new FeatureStore(path.join(config.stateDir, 'features'))),
  };
}
