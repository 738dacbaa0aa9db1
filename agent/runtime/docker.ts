import type { Readable } from 'node:stream';
import type Docker from 'dockerode';
import { BerthError } from '../../protocol';
import { volumeName } from '../state/record';
import { ICC_OPTION, LOG_LIMITS, NETWORK, containerConfig } from './container-config';
import { diskUsage, type DiskUsage } from './docker-disk';
import { startExec } from './docker-exec';
import { cgroupVersionOf, dockerVolumeName, withoutUnknownCapability, type CgroupVersion } from './docker-in-docker';
import { readArchive, writeArchive } from './docker-archive';
import { runtimeError, statusCode } from './docker-errors';
import { followLogs, readLogs } from './docker-logs';
import { homeVolumes, removeHomeVolumes } from './home-volumes';
import { DEFAULT_BUILD_LIMITS, type BuildLimits } from './build-limits';
import { ensureNamedVolumes, isNamedVolume, listNamedVolumes, removeNamedVolume } from './named-volumes';
import { PROBE_LABEL, SshdLayer } from './sshd-layer';
import { dockerClient } from './docker-client';
import { pullImage } from './image-pull';
import { LAYER_REPOSITORY } from './sshd-recipe';
import {
  LABELS,
  type ContainerPlan,
  type ContainerStatus,
  type ExecRequest,
  type ExecSession,
  type HomeVolume,
  type NamedVolumeInfo,
  type Runtime,
  type RuntimeEvent,
} from './runtime';

/**
 * A path segment of a Docker API request. Names that reach a path (images especially) are encoded,
 * so that none adds segments, a query or a fragment of its own.
 */
const segment = (name: string): string => encodeURIComponent(name);

/** {@link Runtime} on a Docker engine through dockerode. */
export class DockerRuntime implements Runtime {
  private readonly docker: Docker;
  private readonly ownLabel: string;
  private readonly network: string;
  /** The engine's default log driver and the host's cgroup version, read once (at the first create). */
  private engine: Promise<{ loggingDriver: string; cgroupVersion: CgroupVersion }> | null = null;
  private readonly layer: SshdLayer;

  /**
   * `agentId` labels everything this agent makes, and limits what it lists and watches to that.
   * `network` is the Docker network workspaces join ({@link NETWORK}; another name for tests);
   * `buildLimits` what each step of the OpenSSH layering may use.
   */
  constructor(
    socketPath: string,
    private readonly agentId: string,
    { network = NETWORK, buildLimits = DEFAULT_BUILD_LIMITS }: { network?: string; buildLimits?: BuildLimits } = {},
  ) {
    this.docker = dockerClient(socketPath);
    this.ownLabel = `${LABELS.agent}=${agentId}`;
    this.network = network;
    this.layer = new SshdLayer(this.docker, [LABELS.agent, agentId], buildLimits);
  }

  async info(): Promise<{ version: string; apiVersion: string }> {
    const version = await this.docker.version();
    return { version: version.Version, apiVersion: version.ApiVersion };
  }

  /** The engine's default OCI runtime (`runc`, or `nvidia` when the NVIDIA toolkit made it the default). */
  async defaultRuntime(): Promise<string> {
    const info = (await this.docker.info()) as { DefaultRuntime?: string };
    return info.DefaultRuntime ?? '';
  }

  async imageExists(image: string): Promise<boolean> {
    return (await this.imageLabels(image)) !== null;
  }

  async imageLabels(image: string): Promise<Record<string, string> | null> {
    try {
      const inspected = await this.docker.getImage(segment(image)).inspect();
      return inspected.Config?.Labels ?? {};
    } catch (err) {
      if (statusCode(err) === 404) return null;
      throw runtimeError(`inspect image ${image}`, err);
    }
  }

  async listImages(): Promise<string[]> {
    try {
      const images = await this.docker.listImages();
      // The sshd layers Berth derives are its own business: the image chosen is their base.
      const tags = images
        .flatMap((image) => image.RepoTags ?? [])
        .filter((tag) => !tag.includes('<none>') && !tag.startsWith(`${LAYER_REPOSITORY}:`));
      return [...new Set(tags)].sort();
    } catch (err) {
      throw runtimeError('list images', err);
    }
  }

  sshdImage(image: string, onLayering: (message: string) => void, signal?: AbortSignal): Promise<string> {
    return this.layer.imageFor(image, onLayering, signal);
  }

  readonly pullImage: Runtime['pullImage'] = (image, onProgress, signal) =>
    pullImage(this.docker, image, onProgress, signal);
  async ensureVolume(record: ContainerPlan['record'], name = volumeName(record.id), what = 'home'): Promise<void> {
    const labels = {
      [LABELS.agent]: this.agentId,
      [LABELS.workspace]: record.id,
      [LABELS.owner]: record.owner,
      [LABELS.name]: record.name,
    };
    try {
      // Creating an existing named volume is a no-op in Docker, which makes this idempotent.
      await this.docker.createVolume({ Name: name, Labels: labels });
    } catch (err) {
      throw runtimeError(`create the ${what} volume`, err);
    }
  }

  removeVolume(id: string): Promise<void> {
    return removeHomeVolumes(this.docker, id);
  }

  async createContainer(plan: ContainerPlan): Promise<void> {
    await this.ensureNetwork();
    // Made here, labelled, rather than by Docker at its first mount: it is then counted and listed as ours.
    const { record } = plan;
    if (record.spec.docker) await this.ensureVolume(record, dockerVolumeName(record.id), 'inner Docker data');
    await ensureNamedVolumes(this.docker, this.agentId, record);
    const { loggingDriver, cgroupVersion } = await this.engineInfo();
    let options: Docker.ContainerCreateOptions | null = containerConfig(plan, {
      agentId: this.agentId,
      network: this.network,
      // The log capped where the driver is json-file (Docker's default); any other as the engine has it.
      logConfig: loggingDriver === 'json-file' ? { Type: 'json-file', Config: LOG_LIMITS } : undefined,
      cgroupVersion,
    });
    try {
      for (;;) {
        try {
          await this.docker.createContainer(options);
          break;
        } catch (err) {
          // Docker-in-Docker: a capability the kernel has but this engine does not know is left out.
          options = withoutUnknownCapability(options, runtimeError('create', err).message);
          if (!options) throw err;
        }
      }
    } catch (err) {
      if (statusCode(err) === 404) {
        throw new BerthError(
          'image_not_found',
          `image "${plan.record.spec.image}" is not on this host; build or pull it first, or choose another image`,
        );
      }
      throw runtimeError('create the container', err);
    }
  }

  /**
   * Makes the workspaces' network when missing, and refuses one that lets containers talk to each other
   * (made by hand, say): every workspace would then reach every other's ports.
   */
  private async ensureNetwork(): Promise<void> {
    const inspect = async (): Promise<{ Options?: Record<string, string> } | null> => {
      try {
        return await this.docker.getNetwork(segment(this.network)).inspect();
      } catch (err) {
        if (statusCode(err) === 404) return null;
        throw runtimeError(`inspect the network ${this.network}`, err);
      }
    };
    let network = await inspect();
    if (!network) {
      try {
        await this.docker.createNetwork({
          Name: this.network,
          Driver: 'bridge',
          CheckDuplicate: true,
          Options: { [ICC_OPTION]: 'false' },
        });
      } catch (err) {
        // 409: another agent of this engine made it meanwhile.
        if (statusCode(err) !== 409) throw runtimeError(`create the network ${this.network}`, err);
      }
      network = await inspect();
    }
    if (network?.Options?.[ICC_OPTION] !== 'false') {
      throw new BerthError(
        'runtime_error',
        `the Docker network "${this.network}" lets containers reach each other (${ICC_OPTION} is not false); remove it once no container uses it (docker network rm ${this.network}) and Berth makes it again with inter-container traffic off`,
      );
    }
  }

  /** What new containers depend on in the engine's `info`: its log driver, the host's cgroup version. */
  private engineInfo(): Promise<{ loggingDriver: string; cgroupVersion: CgroupVersion }> {
    this.engine ??= this.docker.info().then(
      (info: { LoggingDriver?: string; CgroupVersion?: string }) => ({
        loggingDriver: info.LoggingDriver ?? '',
        cgroupVersion: cgroupVersionOf(info),
      }),
      (err: unknown) => {
        this.engine = null;
        throw runtimeError('read the engine information', err);
      },
    );
    return this.engine;
  }

  /**
   * Workspace `id`'s containers (one, but for a copy made by hand), newest first, found by this agent's
   * labels and addressed by their Docker id, never by name: a container renamed outside Berth is still
   * found, and one merely named like ours (`berth-<id>`, without our labels) is never touched.
   */
  private async containers(id: string): Promise<Docker.Container[]> {
    try {
      const filters = { label: [this.ownLabel, `${LABELS.workspace}=${id}`] };
      const found = await this.docker.listContainers({ all: true, filters });
      return found.map((container) => this.docker.getContainer(container.Id));
    } catch (err) {
      throw runtimeError('find the container', err);
    }
  }

  async startContainer(id: string): Promise<void> {
    try {
      const [container] = await this.containers(id);
      if (!container) throw new BerthError('runtime_error', 'Docker could not start the container: it is gone');
      await container.start();
    } catch (err) {
      if (statusCode(err) === 304) return;
      const failure = runtimeError('start the container', err);
      if (/could not select device driver|unresolvable CDI devices/.test(failure.message)) {
        throw new BerthError(
          'runtime_error',
          `${failure.message}. Docker cannot hand GPUs to containers here: install the NVIDIA Container Toolkit (nvidia-ctk runtime configure --runtime=docker), or for --gpu-mode cdi generate the CDI spec (nvidia-ctk cdi generate)`,
        );
      }
      throw failure;
    }
  }

  async stopContainer(id: string, timeoutSeconds: number): Promise<void> {
    for (const container of await this.containers(id)) {
      try {
        await container.stop({ t: timeoutSeconds });
      } catch (err) {
        const code = statusCode(err);
        if (code !== 304 && code !== 404) throw runtimeError('stop the container', err);
      }
    }
  }

  async removeContainer(id: string): Promise<void> {
    for (const container of await this.containers(id)) {
      try {
        await container.remove({ force: true });
      } catch (err) {
        if (statusCode(err) !== 404) throw runtimeError('remove the container', err);
      }
    }
  }

  async inspect(id: string): Promise<ContainerStatus | null> {
    const [container] = await this.containers(id);
    if (!container) return null;
    try {
      const info = await container.inspect();
      return {
        running: info.State.Running,
        exitCode: info.State.ExitCode,
        oomKilled: info.State.OOMKilled,
        specHash: info.Config.Labels[LABELS.specHash] ?? '',
        pid: info.State.Pid,
      };
    } catch (err) {
      if (statusCode(err) === 404) return null;
      throw runtimeError('inspect the container', err);
    }
  }

  async logs(id: string, tail: number): Promise<string> {
    const [container] = await this.containers(id);
    return container ? readLogs(container, tail) : '';
  }

  async followLogs(id: string, tail: number, onText: (text: string) => void, signal: AbortSignal): Promise<void> {
    // The signal is checked after each await: a cancel (or a disconnect) while dockerd answers would
    // otherwise be missed, and the stream (and the caller's follow slot) held until the container goes.
    const [container] = await this.containers(id);
    if (!container || signal.aborted) return;
    await followLogs(container, tail, onText, signal);
  }

  async readArchive(id: string, path: string): Promise<Readable> {
    return readArchive((await this.containers(id))[0], path);
  }

  async writeArchive(id: string, path: string, stream: Readable): Promise<void> {
    return writeArchive((await this.containers(id))[0], path, stream);
  }

  async exec(id: string, request: ExecRequest): Promise<ExecSession> {
    const [container] = await this.containers(id);
    if (!container) throw new BerthError('conflict', 'the workspace has no container; start it first');
    return startExec(container, request);
  }

  diskUsage(): Promise<DiskUsage> {
    return diskUsage(this.docker, this.agentId);
  }

  async listLabelled(): Promise<{ containers: Map<string, string>; volumes: Map<string, string> }> {
    try {
      const filters = { label: [this.ownLabel] };
      const [all, volumes] = await Promise.all([
        this.docker.listContainers({ all: true, filters }),
        this.docker.listVolumes({ filters }),
      ]);
      const containers = all.filter((c) => !c.Labels[PROBE_LABEL]); // no workspace's: removeLeftovers' business
      return {
        containers: new Map(containers.map((c) => [c.Labels[LABELS.workspace] ?? '', c.Names[0]?.slice(1) ?? c.Id])),
        // Named volumes are their owner's, claimed by no workspace: never orphans.
        volumes: new Map(
          (volumes.Volumes ?? [])
            .filter((v) => !isNamedVolume(v))
            .map((v) => [v.Name, v.Labels?.[LABELS.workspace] ?? '']),
        ),
      };
    } catch (err) {
      throw runtimeError('list Berth containers and volumes', err);
    }
  }

  removeLeftovers(): Promise<string[]> {
    return this.layer.removeLeftoverProbes().catch((err: unknown) => {
      throw runtimeError('remove what an interrupted look into an image left', err);
    });
  }

  async listHomes(): Promise<HomeVolume[]> {
    const listed = await this.docker.listVolumes({ filters: { label: [this.ownLabel] } }).catch((err: unknown) => {
      throw runtimeError('list the home volumes', err);
    });
    return homeVolumes(listed.Volumes ?? []);
  }

  listNamedVolumes(): Promise<NamedVolumeInfo[]> {
    return listNamedVolumes(this.docker, this.agentId);
  }

  removeNamedVolume(owner: string, name: string): Promise<string> {
    return removeNamedVolume(this.docker, this.agentId, owner, name);
  }

  async watch(
    onEvent: (event: RuntimeEvent) => void,
    signal: AbortSignal,
    onSubscribed: () => Promise<void>,
  ): Promise<void> {
    const stream = await this.docker.getEvents({ filters: { type: ['container'], label: [this.ownLabel] } });
    let pending = '';
    const ended = new Promise<void>((resolve) => {
      const stop = () => {
        (stream as unknown as { destroy(): void }).destroy();
        resolve();
      };
      signal.addEventListener('abort', stop, { once: true });
      stream.on('data', (chunk: Buffer) => {
        pending += chunk.toString('utf8');
        let newline: number;
        while ((newline = pending.indexOf('\n')) >= 0) {
          const line = pending.slice(0, newline);
          pending = pending.slice(newline + 1);
          if (!line.trim()) continue;
          try {
            const event = JSON.parse(line) as { Action?: string; Actor?: { Attributes?: Record<string, string> } };
            const workspaceId = event.Actor?.Attributes?.[LABELS.workspace];
            if (workspaceId && event.Action) onEvent({ workspaceId, action: event.Action });
          } catch {
            // A line that is not JSON is not an event; the stream goes on.
          }
        }
      });
      stream.on('end', stop);
      stream.on('error', stop);
    });
    try {
      await onSubscribed();
    } catch (err) {
      (stream as unknown as { destroy(): void }).destroy();
      throw err;
    }
    await ended;
  }
}
