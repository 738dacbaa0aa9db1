import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { AgentConfig } from './config';
import { Gpus } from './gpu/gpus';
import { nvidiaGpuProbe } from './idle/gpu';
import { IdleMonitor } from './workspaces/idle-monitor';
import { DockerRuntime } from './runtime/docker';
import { createHandlers } from './server/handlers';
import { startServer, type AgentServer } from './server/server';
import { Users } from './users';
import { writeFileAtomic } from '../util/files';
import type { Logger } from '../util/log';
import { Bootstrap } from './workspaces/bootstrap';
import { EventBus } from './workspaces/events';
import { PortAllocator } from './workspaces/ports';
import { Reconciler } from './workspaces/reconciler';
import { WorkspaceService } from './workspaces/service';
import { Store } from './state/store';

/** The id of the agent owning `stateDir`, made on first start; it labels the agent's Docker objects. */
async function agentId(stateDir: string): Promise<string> {
  const file = path.join(stateDir, 'agent-id');
  const existing = await fs.readFile(file, 'utf8').catch(() => '');
  if (existing.trim()) return existing.trim();
  const id = randomBytes(8).toString('hex');
  await writeFileAtomic(file, `${id}\n`, { mode: 0o644 });
  return id;
}

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
 * down at start: the agent still serves, and reconciles when the engine comes back.
 */
export async function startAgent(config: AgentConfig, log: Logger): Promise<Agent> {
  await fs.mkdir(config.stateDir, { recursive: true, mode: 0o700 });
  const store = await Store.open(config.stateDir);
  const users = Users.in(config.stateDir, (err) =>
    log.warn(`could not record when tokens were last used: ${err instanceof Error ? err.message : String(err)}`),
  );
  const runtime = new DockerRuntime(config.dockerSocket, await agentId(config.stateDir));
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
  });
  const reconciler = new Reconciler(service, runtime, store, log);
  await reconciler.run().ready;
  void warnAboutNvidiaDefaultRuntime(runtime, log);
  const parentOf = (uuid: string) =>
    gpus.hostGpus({ name: '', admin: true }).find((gpu) => gpu.uuid === uuid)?.parent ?? null;
  const gpuProbe = nvidiaGpuProbe(config.gpu.nvidiaSmi, parentOf);
  const monitor = new IdleMonitor({ config, store, service, runtime, bus, log, gpuProbe });
  monitor.start();
  const handlers = createHandlers({ config, service, users, runtime, reconciler, gpus, monitor });
  const server = await startServer(config.listen, { users, handlers, bus, log });
  log.info(
    `berth agent listening on ws://${server.address.host}:${server.address.port} (state in ${config.stateDir}, SSH ports ${config.ports.first}-${config.ports.last})`,
  );
  return {
    server,
    stop: async () => {
      reconciler.stop();
      await monitor.stop();
      await server.close();
      await store.save();
    },
  };
}
