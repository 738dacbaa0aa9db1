import { z } from 'zod';

/** One GPU (or MIG slice) a workspace holds, as nvidia-smi last reported it; nulls where it reports nothing. */
export const HeldGpuUsage = z.object({
  index: z.string(),
  name: z.string(),
  /** Utilization in percent (a MIG slice's is its parent GPU's). */
  utilization: z.number().nullable(),
  /** Memory in use and in all, in bytes. */
  memoryUsed: z.number().nullable(),
  memory: z.number().nullable(),
});
export type HeldGpuUsage = z.infer<typeof HeldGpuUsage>;

/**
 * What a running workspace uses now, from the idle monitor's last sample (CPU) and reads of its
 * cgroup (memory) and nvidia-smi (GPUs). Nulls where nothing is known yet (CPU needs two samples)
 * or the host cannot say; `interval` is how often the monitor samples, in seconds.
 */
export const WorkspaceUsage = z.object({
  /** When the monitor last sampled it; null before its first sample. */
  sampledAt: z.string().nullable(),
  interval: z.number(),
  /** Cores used on average over the last interval, and the workspace's limit. */
  cpu: z.number().nullable(),
  cpus: z.number(),
  /** Memory in use (bytes), and the workspace's limit. */
  memory: z.number().nullable(),
  memoryLimit: z.number(),
  gpus: z.array(HeldGpuUsage),
});
export type WorkspaceUsage = z.infer<typeof WorkspaceUsage>;
