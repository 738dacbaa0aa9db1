import * as path from 'node:path';
import type { AgentConfig } from './config';
import { Gpus } from './gpu/gpus';
import { nvidiaGpuProbe } from './idle/gpu';
import { IdleMonitor } from './workspaces/idle-monitor';
import { DockerRuntime } from './runtime/docker';
import { createHandlers } from './server/handlers';
import { startServer, type AgentServer } from './server/server';
import { Users } from './users';
import type { Logger } from '../util/log';
import { Bootstrap } from './workspaces/bootstrap';
import { SecretVault } from './secrets/vault';
import { SettingsStore } from './settings';
import { defaultSecretsRunDir, SecretStager } from './secrets/stage';
import { EventBus } from './workspaces/events';
import { PortAllocator } from './workspaces/ports';
import { DiskUsage } from './workspaces/disk-usage';
import { Homes } from './workspaces/homes';
import { HomeLedger } from './workspaces/homes-ledger';
import { NamedVolumes } from './workspaces/named-volumes';
import { Reconciler } from './workspaces/reconciler';
import { Trash } from './workspaces/trash';
import { AutoArchive } from './workspaces/auto-archive';
import { WorkspaceService } from './workspaces/service';
import { agentId } from './state/agent-id';
import { lockStateDir } from './state/lock';
import { secureStateDir } from './state/state-dir';
import { Store } from './state/store';
import { ImageBuilder } from './build/builder';
import { growHeapBetweenCollections } from './server/heap-growth';

/**
 * Warns when Docker's default runtime is nvidia: containers that do not go through Berth (and images
 * that set NVIDIA_VISIBLE_DEVICES=all) then see every GPU. Berth's own set the variable themselves.
 */
async function warnAboutNvidiaDefaultRuntime(runtime: DockerRuntime, log: Logger): Promise<void> {
  const name = await runtime.defaultRuntime().catch(() => '');
  if (name === 'nvidia') {
    log.warn(
      "Docker's default runtime is nvidia: any container started outside Berth sees every GPU unless it sets NVIDIA_VISIBLE_DEVICES=void; Berth sets it in each workspace (void, or only the GPUs it holds). Consider making runc the default (default-runtime in /etc/docker/daemon.json).",
    );
  }
}

/** A running agent. */
export interface Agent {
  server: AgentServer;
  stop(): Promise<void>;
}

/**
 * Builds the agent from its parts, reconciles the store with Docker, then listens. Docker may be
 * down at start: the agent still serves, and reconciles when the engine comes back. The state
 * directory is the agent's alone (0700, locked) until it stops.
 */
export async function startAgent(config: AgentConfig, log: Logger): Promise<Agent> {
  growHeapBetweenCollections();
  await secureStateDir(config.stateDir, log);
  const lock = await lockStateDir(config.stateDir);
  try {
    const agent = await build(config, log);
    return {
      server: agent.server,
      stop: async () => {
        await agent.stop();
        await lock.release();
      },
    };
  } catch (err) {
    await lock.release();
    throw err;
  }
}

async function build(config: AgentConfig, log: Logger): Promise<Agent> {
  const store = await Store.open(config.stateDir);
  const users = Users.in(config.stateDir, (err) =>
    log.warn(`could not record when tokens were last used: ${err instanceof Error ? err.message : String(err)}`),
  );
  const id = await agentId(
    config.stateDir,
    store.all().map((record) => record.id),
  );
  const runtime = new DockerRuntime(config.dockerSocket, id, { buildLimits: config.defaults });
  const bootstrap = new Bootstrap(path.join(config.stateDir, 'workspaces'));
  await bootstrap.prune(new Set(store.all().map((record) => record.id)));
  const bus = new EventBus();
  const gpus = new Gpus(
    config.gpu,
    store,
    async (user) => (await users.gpuQuota(user)) ?? config.gpu.defaultQuota,
    log,
  );
  await gpus.load();
  const ledger = await HomeLedger.open(config.stateDir, log);
  const disk = new DiskUsage(
    {
      runtime,
      users,
      log,
      records: () => store.all(),
      onChanged: (records) => records.forEach((record) => service.announce(record)),
      // The trash counts against no quota.
      exempt: (): { id: string; owner: string }[] => homes.trashed().map(([id, home]) => ({ id, owner: home.owner })),
    },
    config.diskIntervalMs,
  );
  const builder = new ImageBuilder(
    config.dockerSocket,
    id,
    // A workspace's image, an archived one's too (a record), and a trashed definition's (trash restore).
    (image) =>
      store.all().some((record) => record.spec.image === image) ||
      homes.trashed().some(([, home]) => home.trash.spec.image === image),
    log,
    config.defaults,
    config.allowPull,
  );
  const homes: Homes = new Homes({ runtime, store, disk, ledger });
  const trash = new Trash({ homes, disk, log, images: builder }, config.trashKeepMs);
  const vault = await SecretVault.open(
    config.secrets?.file ?? path.join(config.stateDir, 'secrets.json'),
    config.secrets?.keyFile ?? path.join(config.stateDir, 'secrets.key'),
  );
  const stager = new SecretStager(vault, config.secrets?.runDir ?? defaultSecretsRunDir(config.stateDir));
  const service = new WorkspaceService({
    config,
    store,
    users,
    runtime,
    bus,
    log,
    ports: new PortAllocator(config.ports, config.sshHost),
    bootstrap,
    gpus,
    disk,
    homes,
    images: builder,
    secrets: stager,
    settings: await SettingsStore.open(path.join(config.stateDir, 'settings.json')),
    trash,
  });
  const reconciler = new Reconciler(service, runtime, store, log);
  await reconciler.run().ready;
  // Once the records are settled: a kill -9 may have left values staged for workspaces not running.
  const swept = await stager.sweep((id) => store.get(id)?.state === 'running');
  if (swept.length) log.info(`removed the secrets staged for ${swept.length} workspace(s) not running`);
  void warnAboutNvidiaDefaultRuntime(runtime, log);
  const parentOf = (uuid: string) =>
    gpus.hostGpus({ name: '', admin: true }).find((gpu) => gpu.uuid === uuid)?.parent ?? null;
  const gpuProbe = nvidiaGpuProbe(config.gpu.nvidiaSmi, parentOf);
  const monitor = new IdleMonitor({ config, store, service, runtime, bus, log, gpuProbe });
  service.onIdleSettings((draft) => monitor.redecide(draft));
  monitor.start();
  disk.start();
  trash.start();
  const autoArchive = new AutoArchive(service, config.archiveAfterMs, log);
  autoArchive.start();
  const stopBackground = async () => {
    await autoArchive.stop();
    reconciler.stop();
    await monitor.stop();
    await disk.stop();
    await trash.stop();
  };
  let server: AgentServer;
  try {
    const handlers = createHandlers({
      ...{ config, service, users, runtime, reconciler, gpus, monitor, disk, homes, trash, builder },
      volumes: new NamedVolumes({
        ...{ runtime, store, disk },
        trashed: () =>
          homes.trashed().map(([, home]) => ({ owner: home.owner, name: home.name, spec: home.trash.spec })),
      }),
      secrets: { vault, stager },
    });
    server = await startServer(config.listen, { users, handlers, bus, log });
  } catch (err) {
    // Stopped before the state directory's lock is released (startAgent): nothing may run on, and
    // nothing keep the process alive, once the agent failed to start.
    await stopBackground().catch((stopErr: unknown) =>
      log.warn(`could not stop after a failed start: ${stopErr instanceof Error ? stopErr.message : String(stopErr)}`),
    );
    throw err;
  }
  log.info(
    `berth agent listening on ws://${server.address.host}:${server.address.port} (state in ${config.stateDir}, SSH ports ${config.ports.first}-${config.ports.last})`,
  );
  if (config.allowPull?.length) log.info(`pulls images the host lacks from: ${config.allowPull.join(', ')}`);
  return {
    server,
    stop: async () => {
      await stopBackground();
      await server.close();
      await store.save();
      await stager.close();
    },
  };
}
