import type Docker from 'dockerode';
import { containerName, volumeName } from '../state/record';
import { containerEnv } from './container-env';
import { dockerInDockerSettings, type CgroupVersion } from './docker-in-docker';
import { volumeMounts } from './named-volumes';
import { LABELS, type ContainerPlan } from './runtime';

const PIDS_LIMIT = 4096;

/**
 * The version of the settings {@link containerConfig} gives every container (network, capabilities,
 * limits, log, mounts). Bump it whenever they change: it is hashed into each container's spec-hash
 * label, so that a container made with older settings is recreated, on its home volume, at its next
 * start, as one from an older spec is. 2: the {@link NETWORK}, {@link DROPPED_CAPABILITIES} and
 * {@link LOG_LIMITS}; containers made before the version existed carry the spec's hash alone.
 */
export const CONTAINER_CONFIG_VERSION = 2;

/**
 * The Docker network every workspace joins: a bridge with inter-container traffic off, so that a
 * port one user's workspace opens on 0.0.0.0 is not reachable from another's. Shared by the agents
 * of one engine; made when missing.
 */
export const NETWORK = 'berth';
export const ICC_OPTION = 'com.docker.network.bridge.enable_icc';

/**
 * Capabilities of Docker's default set that a workspace does not need: raw sockets (ARP and packet
 * spoofing on the bridge; a recent ping uses ICMP datagram sockets instead), device nodes, and
 * changing capability sets. Kept: what sshd (SETUID/SETGID, SYS_CHROOT for privilege separation,
 * NET_BIND_SERVICE for port 22, CHOWN for ptys, AUDIT_WRITE, KILL) and sudo with package installs
 * (DAC_OVERRIDE, FOWNER, FSETID, SETFCAP) need.
 */
export const DROPPED_CAPABILITIES = ['NET_RAW', 'MKNOD', 'SETPCAP'];

/** Docker's json-file log of a workspace: at most this many files of this size, so output cannot fill the disk. */
export const LOG_LIMITS = { 'max-size': '10m', 'max-file': '3' };

/**
 * The device request for GPUs by UUID. Never `Count`: Docker turns Count 1 into "GPU 0" for every
 * container. `cdi` names the devices as the NVIDIA CDI spec does (`nvidia.com/gpu=<UUID>`).
 */
export function deviceRequest(uuids: string[], mode: 'nvidia' | 'cdi'): Docker.DeviceRequest {
  if (mode === 'cdi') return { Driver: 'cdi', DeviceIDs: uuids.map((uuid) => `nvidia.com/gpu=${uuid}`) };
  return { Driver: 'nvidia', DeviceIDs: uuids, Capabilities: [['gpu']] };
}

/**
 * The create options of a workspace's container: unprivileged, limited, on `network` (the
 * {@link NETWORK}), its sshd published on 127.0.0.1 only. `logConfig` caps the log where the
 * engine's driver is json-file (undefined leaves the engine's choice); `cgroupVersion` is the
 * host's (Docker-in-Docker only: v1 when absent).
 */
export function containerConfig(
  plan: ContainerPlan,
  {
    agentId,
    network,
    logConfig,
    cgroupVersion,
  }: { agentId: string; network: string; logConfig?: Docker.HostConfig['LogConfig']; cgroupVersion?: CgroupVersion },
): Docker.ContainerCreateOptions {
  const { record, bootstrapDir, gpuMode } = plan;
  const { spec } = record;
  const gpus = record.assignedGpus ?? [];
  const options: Docker.ContainerCreateOptions = {
    name: containerName(record.id),
    Image: plan.image ?? spec.image,
    Entrypoint: ['/bin/sh', '/.berth/init'],
    // The init runs as root whatever the image's USER says; the login user is made by it.
    User: '0',
    Cmd: [],
    Hostname: record.name,
    Env: containerEnv(plan),
    Labels: {
      [LABELS.agent]: agentId,
      [LABELS.workspace]: record.id,
      [LABELS.owner]: record.owner,
      [LABELS.name]: record.name,
      [LABELS.specHash]: plan.specHash,
    },
    ExposedPorts: { '22/tcp': {} },
    HostConfig: {
      NetworkMode: network,
      PortBindings: { '22/tcp': [{ HostIp: '127.0.0.1', HostPort: String(record.port) }] },
      Mounts: [
        { Type: 'volume', Source: volumeName(record.id), Target: `/home/${spec.user}` },
        { Type: 'bind', Source: bootstrapDir, Target: '/.berth', ReadOnly: true },
        ...(plan.secretsDir ? secretMounts(plan.secretsDir) : []),
        ...volumeMounts(spec, record.owner, agentId, plan.binds),
      ],
      NanoCpus: Math.round(spec.cpus * 1e9),
      Memory: spec.memory,
      MemorySwap: spec.memory,
      PidsLimit: PIDS_LIMIT,
      Privileged: false,
      CapDrop: DROPPED_CAPABILITIES,
      // no-new-privileges is left off on purpose: it disables setuid, and with it sudo (README).
      RestartPolicy: { Name: 'no' },
      ...(logConfig ? { LogConfig: logConfig } : {}),
      ...(gpus.length ? { DeviceRequests: [deviceRequest(gpus, gpuMode)] } : {}),
    },
  };
  return spec.docker ? withDockerInDocker(options, record.id, cgroupVersion) : options;
}

/**
 * `options` with the settings an inner dockerd needs (see `dockerInDockerSettings`), for a workspace
 * whose spec asks for Docker inside. Every other container keeps the settings above unchanged.
 */
function withDockerInDocker(
  options: Docker.ContainerCreateOptions,
  id: string,
  cgroupVersion?: CgroupVersion,
): Docker.ContainerCreateOptions {
  const { Mounts, ...settings } = dockerInDockerSettings(id, undefined, cgroupVersion);
  const host = options.HostConfig ?? {};
  return { ...options, HostConfig: { ...host, ...settings, Mounts: [...(host.Mounts ?? []), ...Mounts] } };
}

/**
 * The mounts of a workspace that uses secrets: the staged values (in the agent's memory directory)
 * read-only at /.berth-secrets, for the init alone, and two tmpfs it copies them into: /run/berth
 * (root's: the env targets) and /run/secrets (the file targets, each readable by the user only).
 */
function secretMounts(dir: string): Docker.MountSettings[] {
  return [
    { Type: 'bind', Source: dir, Target: '/.berth-secrets', ReadOnly: true },
    { Type: 'tmpfs', Source: '', Target: '/run/berth', TmpfsOptions: { SizeBytes: 8 * 1024 * 1024, Mode: 0o700 } },
    { Type: 'tmpfs', Source: '', Target: '/run/secrets', TmpfsOptions: { SizeBytes: 16 * 1024 * 1024, Mode: 0o755 } },
  ];
}
