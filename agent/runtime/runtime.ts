import type { Readable } from 'node:stream';
import type { WorkspaceRecord } from '../state/record';

/** Labels on every container and volume Berth makes: Docker is the truth about what exists. */
export const LABELS = {
  /** Which agent (state directory) made it: several agents may share one engine. */
  agent: 'dev.berth.agent',
  workspace: 'dev.berth.workspace',
  owner: 'dev.berth.owner',
  name: 'dev.berth.name',
  specHash: 'dev.berth.spec-hash',
  /** On a named volume (issue 13): its name as its owner gives it; such a volume has no workspace label. */
  volume: 'dev.berth.volume',
} as const;

/** What the runtime reports about a workspace's container. */
export interface ContainerStatus {
  running: boolean;
  exitCode: number;
  oomKilled: boolean;
  /** Hash of the spec the container was made from; a different one means it must be recreated. */
  specHash: string;
  /** Main process id on the host while running (0 otherwise). */
  pid: number;
}

/** A home volume this agent made, as Docker lists it (labels are untrusted text: checked by the caller). */
export interface HomeVolume {
  /** The volume's name, `berth-<id>-home`. */
  name: string;
  /** The workspace id its name and label agree on. */
  id: string;
  /** Its owner label; undefined on volumes made without one. */
  owner: string | undefined;
  /** Its name label: the workspace it was made for. */
  madeFor: string | undefined;
  /** When Docker made it (ISO); undefined when the engine does not say. */
  createdAt: string | undefined;
}

/** A named volume this agent made for an owner, as Docker lists it (its name and labels agree). */
export interface NamedVolumeInfo {
  /** The Docker volume, `berth-vol-<agent>-<owner>.<name>`. */
  volume: string;
  /** Its name as its owner gives it. */
  name: string;
  owner: string;
  /** When Docker made it (ISO); undefined when the engine does not say. */
  createdAt: string | undefined;
}

/** A change Docker reports about a labelled container. */
export interface RuntimeEvent {
  workspaceId: string;
  action: string;
}

/** Everything needed to (re)create a workspace's container. */
export interface ContainerPlan {
  record: WorkspaceRecord;
  specHash: string;
  /** Host directory mounted read-only at /.berth: init script, host key, authorized_keys, env. */
  bootstrapDir: string;
  /** How the GPUs in `record.assignedGpus` are requested: nvidia DeviceRequests by UUID, or CDI names. */
  gpuMode: 'nvidia' | 'cdi';
  /** Host directory (in memory) mounted read-only at /.berth-secrets when the workspace uses secrets. */
  secretsDir?: string | null;
  /** The image the container runs, when not the spec's own: one derived with sshd ({@link Runtime.sshdImage}). */
  image?: string;
  /** The spec's host binds, resolved against the agent's allow-list (agent/workspaces/volume-rules.ts). */
  binds?: ResolvedBind[];
}

/** A host bind as it is mounted: the source with its links resolved, read-only when the admin says so. */
export interface ResolvedBind {
  source: string;
  target: string;
  readOnly: boolean;
}

/** A command to run in a workspace's container ({@link Runtime.exec}). */
export interface ExecRequest {
  command: string[];
  user: string;
  workdir: string;
  tty: boolean;
  stdin: boolean;
  size?: { cols: number; rows: number } | undefined;
  /** Extra `KEY=value` variables of the command (the workspace's secrets), never the container's env. */
  env?: string[];
}

/** A command running in a container: its output, its stdin, its terminal, its end. */
export interface ExecSession {
  /** Receives output as it comes (with a TTY, all of it as stdout). */
  onOutput(listener: (stream: 'stdout' | 'stderr', data: Buffer) => void): void;
  /** Stops reading output (the command blocks once its pipe is full) until {@link resume}. */
  pause(): void;
  resume(): void;
  /** Writes to its stdin; `written` runs once the bytes have left the agent. */
  write(data: Buffer, written: () => void): void;
  /** Ends its stdin. */
  end(): void;
  resize(cols: number, rows: number): Promise<void>;
  /** Resolves when it has exited (its output ended and the process is gone), with its exit status. */
  exitCode(signal: AbortSignal): Promise<number>;
  /** Kills it (and its process group) and drops the streams. */
  kill(): Promise<void>;
}

/**
 * How the agent drives containers. Shaped around workspaces rather than Docker calls so that a
 * Kubernetes runtime (pod, PVC, service) can stand beside the Docker one.
 */
export interface Runtime {
  info(): Promise<{ version: string; apiVersion: string }>;
  imageExists(image: string): Promise<boolean>;
  /** The labels of a local image; null when it is not on the host. */
  imageLabels(image: string): Promise<Record<string, string> | null>;
  /** The `repo:tag` names of the images present, sorted; untagged images are left out. Never pulls. */
  listImages(): Promise<string[]>;
  /**
   * The image a workspace of `image` runs: `image` itself when it has sshd, else one derived from it
   * with OpenSSH installed through its package manager, built on first use (its messages, the build
   * log among them, go to `onLayering`) and reused after. `invalid_params` when it has no sshd and
   * no known package manager (or no /bin/sh); `cancelled` when `signal` aborts the wait.
   */
  sshdImage(image: string, onLayering: (message: string) => void, signal?: AbortSignal): Promise<string>;
  /**
   * Pulls `image` from its registry, anonymously, its steps as lines to `onProgress`: only for an
   * image the host lacks whose registry the admin allowed (`--allow-pull`; the caller checks).
   */
  pullImage(image: string, onProgress: (line: string) => void, signal?: AbortSignal): Promise<void>;
  ensureVolume(record: WorkspaceRecord): Promise<void>;
  /** Removes workspace `id`'s home volume, and its inner Docker's data volume (Docker-in-Docker) with it. */
  removeVolume(id: string): Promise<void>;
  createContainer(plan: ContainerPlan): Promise<void>;
  startContainer(id: string): Promise<void>;
  stopContainer(id: string, timeoutSeconds: number): Promise<void>;
  removeContainer(id: string): Promise<void>;
  /** The container's status, or null when it does not exist. */
  inspect(id: string): Promise<ContainerStatus | null>;
  /** The last `tail` lines of output. */
  logs(id: string, tail: number): Promise<string>;
  /** Follows output until the container stops or `signal` aborts. */
  followLogs(id: string, tail: number, onText: (text: string) => void, signal: AbortSignal): Promise<void>;
  /**
   * Bytes on disk of this agent's home volumes and containers' writable layers, by workspace id, of
   * its named volumes by Docker volume, and in all by owner (homes kept after their workspace was deleted included), from Docker's
   * disk-usage API (which walks the volumes: call it every few minutes, not per request).
   */
  diskUsage(): Promise<{
    homes: Map<string, number>;
    layers: Map<string, number>;
    owners: Map<string, number>;
    /** Named volumes, by Docker volume name. */
    volumes: Map<string, number>;
  }>;
  /** Docker's tar stream of `path` in workspace `id`'s container, running or not (owners, modes, links, times kept). */
  readArchive(id: string, path: string): Promise<Readable>;
  /** Unpacks a tar stream at `path` in workspace `id`'s container (one made, not yet started, will do). */
  writeArchive(id: string, path: string, stream: Readable): Promise<void>;
  /** Starts a command in the running container of workspace `id`. */
  exec(id: string, request: ExecRequest): Promise<ExecSession>;
  /** This agent's labelled containers (workspace id → container name) and volumes (name → workspace id). */
  listLabelled(): Promise<{ containers: Map<string, string>; volumes: Map<string, string> }>;
  /** Removes this agent's helper containers (sshd probes) that nothing uses now; resolves to their names. */
  removeLeftovers(): Promise<string[]>;
  /** This agent's home volumes: only those whose name and workspace label agree (`berth-<id>-home`). */
  listHomes(): Promise<HomeVolume[]>;
  /** This agent's named volumes: only those whose name agrees with their agent, owner and name labels. */
  listNamedVolumes(): Promise<NamedVolumeInfo[]>;
  /**
   * Removes `owner`'s named volume `name` and its files, resolving to its Docker volume; `not_found`
   * when there is none, `conflict` when one of that name lacks Berth's labels for that owner (it is
   * left alone) or a container uses it.
   */
  removeNamedVolume(owner: string, name: string): Promise<string>;
  /**
   * Streams container events until the connection to the engine drops; resolves then (or when
   * `signal` aborts), so the caller can reconnect and reconcile. `onSubscribed` runs once the stream
   * is open, so that a reconciliation started from it misses no event.
   */
  watch(onEvent: (event: RuntimeEvent) => void, signal: AbortSignal, onSubscribed: () => Promise<void>): Promise<void>;
}
