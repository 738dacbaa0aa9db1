import { stringify } from 'yaml';
import type { BuildRecord, ForwardPort, SecretRef, Workspace, WorkspaceSpec, WorkspaceVolume } from '../../protocol';

/** Bytes as the shortest exact size a definition takes: `8g`, `512m`, `64k`, or the number. */
export function sizeText(bytes: number): string | number {
  for (const [unit, factor] of [
    ['t', 1024 ** 4],
    ['g', 1024 ** 3],
    ['m', 1024 ** 2],
    ['k', 1024],
  ] as const) {
    if (bytes >= factor && bytes % factor === 0) return `${bytes / factor}${unit}`;
  }
  return bytes;
}

/** Seconds as an exact duration: `30m`, `1h30m`, `1d2h`, `90s` → `1m30s`; 0 stays 0. */
export function durationText(seconds: number): string | number {
  if (seconds === 0) return 0;
  let rest = seconds;
  let text = '';
  for (const [unit, factor] of [
    ['d', 86400],
    ['h', 3600],
    ['m', 60],
    ['s', 1],
  ] as const) {
    const count = Math.floor(rest / factor);
    if (count) text += `${count}${unit}`;
    rest -= count * factor;
  }
  return text;
}

/** The definition document of a spec: the keys of workspace.yaml, only those with a value. */
export function definitionOf(spec: WorkspaceSpec): Record<string, unknown> {
  const resources: Record<string, unknown> = { cpus: spec.cpus, memory: sizeText(spec.memory), gpus: spec.gpus };
  if (spec.gpuModel !== undefined) resources.gpuModel = spec.gpuModel;
  if (spec.gpuMemory !== undefined) resources.gpuMemory = sizeText(spec.gpuMemory);
  if (spec.gpuUuids !== undefined) resources.gpuUuids = spec.gpuUuids;
  const idle: Record<string, unknown> = {};
  if (spec.idleTimeout !== undefined) idle.timeout = durationText(spec.idleTimeout);
  if (spec.attachedGrace !== undefined) idle.attachedGrace = durationText(spec.attachedGrace);
  if (spec.maxLifetime !== undefined) idle.maxLifetime = durationText(spec.maxLifetime);
  return {
    name: spec.name,
    ...(spec.description !== undefined ? { description: spec.description } : {}),
    // A built image is named by its build: apply builds it again from the folder.
    ...(spec.build ? { build: buildOf(spec.build) } : { image: spec.image }),
    resources,
    env: spec.env,
    command: spec.command,
    ...(Object.keys(idle).length ? { idle } : {}),
    ...(spec.timezone !== undefined ? { timezone: spec.timezone } : {}),
    user: spec.user,
    ...(spec.docker ? { docker: true } : {}),
    ...(spec.secrets?.length ? { secrets: spec.secrets.map(secretOf) } : {}),
    ...(spec.clone ? { clone: Object.keys(spec.clone).length === 1 ? spec.clone.url : spec.clone } : {}),
    ...(spec.forwardPorts?.length ? { ports: spec.forwardPorts.map(portOf) } : {}),
    ...(spec.volumes?.length ? { volumes: spec.volumes.map(volumeOf) } : {}),
  };
}

/** A forwarded port, shortest: `8080`, `"db:5432"`, or the whole object when it has a label or more. */
export function portOf(port: ForwardPort): ForwardPort | number | string {
  const keys = Object.keys(port).filter((key) => key !== 'host' && key !== 'port');
  if (keys.length) return port;
  return port.host !== undefined ? `${port.host}:${port.port}` : port.port;
}

/** A volume as workspace.yaml writes it: `NAME:/target` or `/host/path:/target`, `:ro` when read-only. */
export function volumeOf(volume: WorkspaceVolume): string {
  return `${volume.name ?? volume.bind ?? ''}:${volume.target}${volume.readOnly ? ':ro' : ''}`;
}

/** A spec's build record as workspace.yaml writes it: the folder (as recorded, absolute), and what differs from the defaults. */
function buildOf(build: BuildRecord): Record<string, unknown> {
  return {
    context: build.context,
    ...(build.dockerfile !== 'Dockerfile' ? { dockerfile: build.dockerfile } : {}),
    ...(Object.keys(build.args).length ? { args: build.args } : {}),
    ...(build.target ? { target: build.target } : {}),
  };
}

/** A secret reference, shortest: `NAME` for the variable of the same name. */
function secretOf(ref: SecretRef): SecretRef | string {
  return ref.env !== undefined && ref.env === ref.key ? ref.key : ref;
}

/**
 * `berth get NAME -o yaml`: the definition, then the workspace's state under `status` (which `berth
 * apply` ignores), so the output edited and applied changes only what was edited.
 */
export function workspaceYaml(workspace: Workspace): string {
  const { spec, owner, id, ...rest } = workspace;
  const status: Record<string, unknown> = { ...rest };
  delete status.name;
  const header = '# berth apply -f FILE applies an edited copy; status: is read-only.\n';
  return header + stringify({ ...definitionOf(spec), status: { id, owner, ...status } }, { lineWidth: 0 });
}

/** What `berth init` writes: every key, each with a comment, the host's defaults filled in. */
export function initTemplate(options: {
  name: string;
  image: string;
  cpus: number;
  memory: number;
  idleTimeout: number;
  user: string;
}): string {
  const { name, image, cpus, memory, idleTimeout, user } = options;
  const text = (value: unknown) => JSON.stringify(value);
  return `# A Berth workspace. Create or update it with: berth apply -f workspace.yaml
# Every key but name is optional; one left out takes the host's default (shown here).
name: ${name}                 # lowercase letters, digits and hyphens
# description: what this workspace is for

image: ${text(image)}   # any image; one without sshd gets it added on first use

resources:
  cpus: ${cpus}                  # fractions allowed, such as 0.5
  memory: ${sizeText(memory)}              # 512m, 8g…
  gpus: 0                  # GPUs assigned by UUID while it runs
  # gpuModel: H100         # only GPUs whose name contains this
  # gpuMemory: 40g         # only GPUs with at least this much memory

env: {}                    # KEY: value, for every process of the workspace
#   WANDB_MODE: offline

command: ""                # started as the user at every start (logs: berth logs ${name})

idle:                      # left out: the host's settings (berth idle)
  # timeout: ${durationText(idleTimeout)}            # stop after this long with nobody present and nothing busy; 0: never
  # attachedGrace: 1h      # how long an SSH connection nobody types in keeps it running
  # maxLifetime: 0         # stop after this long running, whatever happens; 0: never

# timezone: Europe/Berlin  # inside the workspace (default: the image's)
# user: ${user}              # the login user (the host's default); fixed once created
# docker: true             # Docker inside, where the host allows it (privileged: root on the host)
# secrets:                 # values set apart: berth secret set NAME
#   - GITHUB_TOKEN         # as the variable GITHUB_TOKEN
#   - { key: deploy-key, file: /home/${user}/.ssh/id_deploy }
# build:                   # instead of image: built on the host from a folder (relative to this file)
#   context: .
#   dockerfile: Dockerfile
# clone: https://github.com/you/project.git   # cloned into ~/project at the first start
# ports:                   # ports the workspace serves (stored and shown; forwarding comes later)
#   - 8888
#   - { port: 6006, label: tensorboard }
# volumes:                 # beside the home; a change recreates the container (the volumes' files stay)
#   - data:/data           # your named volume "data": kept when workspaces go, shared by yours
#   - /srv/datasets:/datasets:ro   # a host folder, only where the host's admin allows it
`;
}
