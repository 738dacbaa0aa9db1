// The answers of "Change Image or Resources…", parsed and checked without vscode (unit-tested).

const UNITS: Record<string, number> = { '': 1024 ** 3, m: 1024 ** 2, mi: 1024 ** 2, g: 1024 ** 3, gi: 1024 ** 3 };

/** What a host offers, as far as `host.info` says. */
export interface HostLimits {
  cpus: number;
  memory: number;
  /** GPUs (or MIG slices) that can be assigned. */
  gpus: number;
}

/** `2`, `0.5` → cores; a message saying what is wrong otherwise. */
export function parseCpus(text: string, host: HostLimits): number | string {
  const cpus = Number(text.trim());
  if (!text.trim() || !Number.isFinite(cpus) || cpus < 0.01) return 'Give a number of CPUs, such as 2 or 0.5';
  if (cpus > host.cpus) return `The host has ${host.cpus} CPUs; ask for at most ${host.cpus}`;
  return cpus;
}

/** `8g`, `512m`, `4 GiB`, `16` (GiB) → bytes; a message saying what is wrong otherwise. */
export function parseMemory(text: string, host: HostLimits): number | string {
  const match = /^(\d+(?:\.\d+)?)\s*([mg]i?)?b?$/i.exec(text.trim());
  const unit = UNITS[(match?.[2] ?? '').toLowerCase()];
  if (!match?.[1] || unit === undefined) return 'Give memory such as 8g, 16 GiB or 512m';
  const bytes = Math.round(Number(match[1]) * unit);
  if (bytes < 64 * 1024 ** 2) return 'Give at least 64 MiB';
  if (bytes > host.memory) return `The host has ${Math.floor(host.memory / 1024 ** 2)} MiB of memory; ask for less`;
  return bytes;
}

/** `0`, `2` → GPUs; a message saying what is wrong otherwise. */
export function parseGpus(text: string, host: HostLimits): number | string {
  const gpus = Number(text.trim());
  if (!/^\d+$/.test(text.trim())) return 'Give a whole number of GPUs, such as 0 or 2';
  if (gpus > host.gpus) return `The host has ${host.gpus} GPUs to assign; ask for at most ${host.gpus}`;
  return gpus;
}
