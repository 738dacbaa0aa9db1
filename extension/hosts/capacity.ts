import type { HostInfo } from '../../protocol';
import { memoryLabel } from '../wording/sizes';

/** What is free on a host, e.g. `6 of 8 CPUs free · 12 GiB of 16 GiB free · 1 of 2 GPUs free`. */
export function capacityLabel(info: HostInfo): string {
  const used = info.allocated ?? { cpus: 0, memory: 0 };
  const cpus = Math.max(0, info.cpus - used.cpus);
  const memory = Math.max(0, info.memory - used.memory);
  const parts = [
    `${+cpus.toFixed(1)} of ${info.cpus} CPUs free`,
    `${memoryLabel(memory)} of ${memoryLabel(info.memory)} free`,
  ];
  // A GPU in MIG mode is handed out only as its slices, which are listed on their own.
  const devices = info.gpus.filter((gpu) => !gpu.mig);
  if (devices.length) parts.push(`${devices.filter((gpu) => gpu.free > 0).length} of ${devices.length} GPUs free`);
  return parts.join(' · ');
}
