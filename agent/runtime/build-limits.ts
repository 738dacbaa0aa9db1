/**
 * What each step of a build on the host may use (a user's build, the OpenSSH layering): a default
 * workspace's CPUs and memory, since a RUN step runs the user's or the image's code.
 */
export interface BuildLimits {
  cpus: number;
  memoryBytes: number;
}

/** The limits of an agent that was given none (tests). */
export const DEFAULT_BUILD_LIMITS: BuildLimits = { cpus: 2, memoryBytes: 4 * 1024 ** 3 };

/** Docker's build options that hold every step's container to `limits`, swap included. */
export function buildLimitOptions(limits: BuildLimits): {
  memory: number;
  memswap: number;
  cpuperiod: number;
  cpuquota: number;
} {
  return {
    memory: limits.memoryBytes,
    memswap: limits.memoryBytes,
    cpuperiod: 100_000,
    cpuquota: Math.round(limits.cpus * 100_000),
  };
}
