import type { ContainerPlan } from './runtime';

/**
 * Variables that change what a root process loads or runs before it reads a line of its own: the
 * dynamic loader's (LD_*), glibc's list of variables unsafe for privileged programs, and those
 * through which bash runs code at start (SHELLOPTS with PS4, BASH_ENV, ENV). The init runs as root,
 * so a workspace's env must not reach its process with these (a user could point them into their
 * home); the sessions still get them, through /.berth/env.
 */
const UNSAFE_FOR_ROOT =
  /^(?:LD_\w*|MALLOC_\w*|GCONV_PATH|GETCONF_DIR|GLIBC_TUNABLES|HOSTALIASES|LOCALDOMAIN|LOCPATH|NIS_PATH|NLSPATH|RESOLV_HOST_CONF|RES_OPTIONS|TMPDIR|TZDIR|BASH_ENV|ENV|SHELLOPTS|BASHOPTS|PS4)$/;

/** Whether the workspace env variable `name` is kept out of the container's own environment. */
export const unsafeForRoot = (name: string): boolean => UNSAFE_FOR_ROOT.test(name);

/**
 * The container's environment: the spec's (less {@link unsafeForRoot}, and BERTH_*, which the init
 * reads as the agent's), then the agent's own variables. Last, NVIDIA_VISIBLE_DEVICES: without GPUs, an
 * nvidia default runtime or an image's NVIDIA_VISIBLE_DEVICES=all must not leak any; with GPUs,
 * only the assigned ones.
 */
export function containerEnv(plan: ContainerPlan): string[] {
  const { record } = plan;
  const { spec } = record;
  const gpus = record.assignedGpus ?? [];
  const env = new Map<string, string>();
  for (const [key, value] of Object.entries(spec.env)) {
    if (!unsafeForRoot(key) && !key.startsWith('BERTH_')) env.set(key, value);
  }
  env.set('BERTH_USER', spec.user);
  env.set('BERTH_WORKSPACE', record.name);
  if (spec.timezone) env.set('BERTH_TZ', spec.timezone).set('TZ', spec.timezone);
  if (spec.command) env.set('BERTH_STARTUP', spec.command);
  // Docker-in-Docker (issue 13): the init starts the image's dockerd.
  if (spec.docker) env.set('BERTH_DOCKER', '1');
  // Named volumes (issue 13): the init gives a new, empty one to the user.
  const writable = (spec.volumes ?? []).filter((volume) => volume.name !== undefined && !volume.readOnly);
  if (writable.length) env.set('BERTH_VOLUMES', writable.map((volume) => volume.target).join('\n'));
  env.set('NVIDIA_VISIBLE_DEVICES', gpus.length ? gpus.join(',') : 'void');
  return [...env].map(([key, value]) => `${key}=${value}`);
}
