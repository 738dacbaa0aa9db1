import * as os from 'node:os';
import * as path from 'node:path';
import { defaultIdleConfig, type IdleConfig } from './idle/settings';
import { DEFAULT_MAX_BUILD_CONTEXT } from '../protocol';

/** An inclusive range of host ports. */
export interface PortRange {
  first: number;
  last: number;
}

/** Settings of one agent; `berth serve` flags map onto them. */
export interface AgentConfig {
  /** Address the WebSocket server listens on; loopback unless the operator says otherwise. */
  listen: { host: string; port: number };
  /** Where the store, users and per-workspace bootstrap directories live. */
  stateDir: string;
  /** Host ports handed out for workspaces' sshd, published on `sshHost` only. */
  ports: PortRange;
  /** Address workspace SSH ports are published on and that clients connect to. */
  sshHost: string;
  dockerSocket: string;
  defaults: { image: string; cpus: number; memoryBytes: number; user: string };
  /** How long a start may take until sshd answers. */
  sshReadyTimeoutMs: number;
  /** Grace period for `docker stop` before the container is killed. */
  stopTimeoutSeconds: number;
  /**
   * GPUs: the nvidia-smi binary (a name looked up on PATH, or a path); how Docker is asked for
   * devices (`nvidia`: DeviceRequests with the nvidia driver and UUIDs; `cdi`: CDI names
   * `nvidia.com/gpu=<UUID>`, for engines with CDI enabled); how many workspaces may hold one GPU at
   * once (1: exclusive; more shares it with no memory or fault isolation); the GPU quota of users
   * the admin set none for (null: no limit).
   */
  gpu: { nvidiaSmi: string; mode: 'nvidia' | 'cdi'; sharing: number; defaultQuota: number | null };
  /** The idle monitor's defaults and cadence (issue #5); specs may override the timeouts. */
  idle: IdleConfig;
  /** How often the workspaces' disk use is measured (Docker walks every volume to size it). */
  diskIntervalMs: number;
  /** The largest build context (`image.build`) the agent takes, in bytes. */
  maxBuildContextBytes: number;
  /**
   * Docker-in-Docker (issue 13): whether workspaces may ask for `docker: true`, which gives them
   * root on the host in all but name. Off unless the admin turns it on (`berth serve --allow-docker`).
   */
  allowDocker: boolean;
  /**
   * The users who may ask for `docker: true` when {@link allowDocker} is off
   * (`berth serve --allow-docker-for USER`, repeatable): the admin names each one who may be root.
   */
  allowDockerFor: string[];
  /**
   * Secrets (issue 15): where their encrypted values and their key live (two 0600 files; the key
   * may be kept outside the state directory), and the in-memory directory values are handed to
   * starting workspaces from. Absent: `secrets.json`, `secrets.key` in the state directory, and
   * a directory in /dev/shm.
   */
  secrets?: { file?: string; keyFile?: string; runDir?: string };
  /** Trash: how long the home of a workspace deleted with its data stays restorable (0: deleted at once). */
  trashKeepMs: number;
  /** Archive: how long a workspace stays stopped before the agent archives it (0: never). */
  archiveAfterMs: number;
  /**
   * Volumes (issue 13): host folders whose contents workspaces may bind (`berth serve --allow-bind
   * PATH[:ro]`), their links resolved; absent or empty: no binds at all.
   */
  allowBinds?: AllowedBind[];
  /**
   * Registries (`host[:port]`, Docker Hub as `docker.io`) the agent may pull an image the host lacks
   * from, when a create, update or build names it (`berth serve --allow-pull REGISTRY`, repeatable);
   * absent or empty: it never pulls. Pulls are anonymous: images needing credentials stay the operator's.
   */
  allowPull?: string[];
  /** Backup and restore: how long no byte may move before the transfer is cancelled (absent: 10 minutes). */
  transferStallMs?: number;
}

/** A host folder the admin lets workspaces bind; `readOnly` makes every bind from it read-only. */
export interface AllowedBind {
  path: string;
  readOnly: boolean;
}

/** The default state directory: /var/lib/berth for root, ~/.local/state/berth otherwise. */
export function defaultStateDir(): string {
  if (process.env.BERTH_STATE_DIR) return process.env.BERTH_STATE_DIR;
  return process.getuid?.() === 0 ? '/var/lib/berth' : path.join(os.homedir(), '.local', 'state', 'berth');
}

/** The configuration `berth serve` runs with when given no flags. */
export function defaultConfig(): AgentConfig {
  return {
    listen: { host: '127.0.0.1', port: 7420 },
    stateDir: defaultStateDir(),
    ports: { first: 2200, last: 2399 },
    sshHost: '127.0.0.1',
    dockerSocket: process.env.DOCKER_SOCKET ?? '/var/run/docker.sock',
    defaults: {
      image: 'berth-workspace:latest',
      cpus: Math.min(2, os.cpus().length),
      memoryBytes: 4 * 1024 ** 3,
      user: 'dev',
    },
    sshReadyTimeoutMs: 60_000,
    stopTimeoutSeconds: 10,
    gpu: { nvidiaSmi: 'nvidia-smi', mode: 'nvidia', sharing: 1, defaultQuota: null },
    idle: defaultIdleConfig(),
    diskIntervalMs: 5 * 60_000,
    maxBuildContextBytes: DEFAULT_MAX_BUILD_CONTEXT,
    allowDocker: false,
    allowDockerFor: [],
    trashKeepMs: 7 * 86_400_000,
    archiveAfterMs: 0,
  };
}
