import type Docker from 'dockerode';
import { agentBoundingSet, CAPABILITIES, grantableCapabilities } from './capabilities';

/** Where the inner Docker keeps its images, containers and volumes. */
export const INNER_DOCKER_DATA = '/var/lib/docker';

/**
 * The volume of a workspace's inner Docker data, `berth-<id>-docker`: named after the id like the
 * home, so it survives stop, start and every recreation of the container, follows a kept home that
 * is reattached, and goes only with the home (a delete with its data, `berth homes rm`).
 */
export const dockerVolumeName = (id: string): string => `berth-${id}-docker`;

/** The host's cgroup version, as Docker's `info` says it (`CgroupVersion`, API 1.41; absent before: v1). */
export type CgroupVersion = '1' | '2';

/** The host settings of a Docker-in-Docker workspace (`CgroupnsMode`, API 1.41, is missing from dockerode's types). */
export interface DockerInDockerSettings {
  CapAdd: string[];
  CapDrop: string[];
  SecurityOpt: string[];
  CgroupnsMode: 'host' | 'private';
  Mounts: Docker.MountSettings[];
}

/** Every capability this agent knows, for a host whose bounding set cannot be read. */
const ALL_CAPABILITIES = (1n << BigInt(CAPABILITIES.length)) - 1n;

/**
 * The host settings that let a workspace run its own dockerd, given the capability bounding set
 * the host can grant (the agent's own by default) and the host's cgroup version: every capability
 * in the set (not `Privileged`, which asks for all and fails where one is missing), no seccomp or
 * AppArmor profile, and the inner data on {@link dockerVolumeName}. The inner runc makes cgroups for
 * its containers, and they must stay under the workspace's, whose limits then hold them:
 * - cgroup v1: the host's cgroup namespace with the host's `/sys/fs/cgroup` writable; berth-init
 *   gives the inner dockerd the workspace's own cgroup as `--cgroup-parent`.
 * - cgroup v2: a private cgroup namespace and no bind, so that the container's `/sys/fs/cgroup` has
 *   the workspace's cgroup as its root (with the host's, the inner dockerd would make its cgroups at
 *   the host's root, outside every limit); berth-init makes it writable and nests (moby's hack/dind).
 * Such a container is root on the host in all but name.
 */
export function dockerInDockerSettings(
  id: string,
  bounding: bigint | null = agentBoundingSet(),
  cgroupVersion: CgroupVersion = '1',
): DockerInDockerSettings {
  const { add, drop } = grantableCapabilities(bounding ?? ALL_CAPABILITIES);
  const data: Docker.MountSettings = { Type: 'volume', Source: dockerVolumeName(id), Target: INNER_DOCKER_DATA };
  const common = { CapAdd: add, CapDrop: drop, SecurityOpt: ['seccomp=unconfined', 'apparmor=unconfined'] };
  if (cgroupVersion === '2') return { ...common, CgroupnsMode: 'private', Mounts: [data] };
  return {
    ...common,
    CgroupnsMode: 'host',
    Mounts: [data, { Type: 'bind', Source: '/sys/fs/cgroup', Target: '/sys/fs/cgroup', ReadOnly: false }],
  };
}

/** The cgroup version in Docker's `info` (`CgroupVersion`): '2' only when it says so, else v1 as before. */
export const cgroupVersionOf = (info: { CgroupVersion?: unknown }): CgroupVersion =>
  info.CgroupVersion === '2' ? '2' : '1';

/**
 * `options` without the capability an engine refused as unknown (`invalid CapAdd: unknown
 * capability: "CAP_PERFMON"`: Docker 20.10 knows no PERFMON, BPF or CHECKPOINT_RESTORE, which newer
 * kernels have), so that the create can be asked again; null when `reason` is no such refusal or
 * the capability is not in `options`.
 */
export function withoutUnknownCapability(
  options: Docker.ContainerCreateOptions,
  reason: string,
): Docker.ContainerCreateOptions | null {
  const name = /unknown capability: "?(?:CAP_)?([A-Z_]+)/.exec(reason)?.[1];
  const host = options.HostConfig;
  const listed = (caps: unknown): string[] => (Array.isArray(caps) ? (caps as string[]) : []);
  if (!name || !host || ![...listed(host.CapAdd), ...listed(host.CapDrop)].includes(name)) return null;
  const without = (caps: unknown) => listed(caps).filter((cap) => cap !== name);
  return { ...options, HostConfig: { ...host, CapAdd: without(host.CapAdd), CapDrop: without(host.CapDrop) } };
}
