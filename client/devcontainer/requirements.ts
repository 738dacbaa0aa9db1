import type { HostInfo } from '../../protocol';
import type { JsoncDocument } from './jsonc';
import { GPU_CORES_IGNORED, STORAGE_IGNORED } from './properties';

/** What `hostRequirements` asks of the host, translated, with where each was written. */
export interface Requirements {
  cpus?: { value: number; at: string };
  memory?: { value: number; at: string };
  gpus?: { count: number; optional: boolean; memory?: number; at: string };
}

const UNITS: Record<string, number> = { kb: 1024, mb: 1024 ** 2, gb: 1024 ** 3, tb: 1024 ** 4 };

/** A size as the spec writes it (`8gb`, `512mb`, bytes without a unit; 1024-based), or null. */
export function specSize(text: string): number | null {
  const match = /^(\d+(?:\.\d+)?)\s*([kmgt]b)?$/i.exec(text.trim());
  if (!match) return null;
  const bytes = Number(match[1]) * (match[2] ? (UNITS[match[2].toLowerCase()] ?? 1) : 1);
  return Number.isFinite(bytes) ? Math.floor(bytes) : null;
}

/** Reads `hostRequirements`; problems (a wrong type, an unreadable size) go to `refuse`, notes to `warn`. */
export function readRequirements(
  doc: JsoncDocument,
  refuse: (at: string, message: string) => void,
  warn: (at: string, message: string) => void,
): Requirements {
  const raw = doc.value.hostRequirements;
  const out: Requirements = {};
  if (raw === undefined) return out;
  const at = (...path: string[]) => doc.at(['hostRequirements', ...path]);
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) {
    refuse(at(), 'hostRequirements must be an object such as { "cpus": 4, "memory": "8gb" }');
    return out;
  }
  const req = raw as Record<string, unknown>;
  for (const key of Object.keys(req)) {
    if (key === 'storage') warn(at(key), `hostRequirements.storage: ignored: ${STORAGE_IGNORED}`);
    else if (!['cpus', 'memory', 'gpu'].includes(key)) warn(at(key), `hostRequirements.${key}: unknown, ignored`);
  }
  if (req.cpus !== undefined) {
    if (typeof req.cpus === 'number' && req.cpus > 0) out.cpus = { value: req.cpus, at: at('cpus') };
    else refuse(at('cpus'), 'hostRequirements.cpus must be a positive number of CPUs');
  }
  if (req.memory !== undefined) {
    const bytes = typeof req.memory === 'string' ? specSize(req.memory) : null;
    if (bytes) out.memory = { value: bytes, at: at('memory') };
    else refuse(at('memory'), 'hostRequirements.memory must be a size such as "8gb" or "512mb"');
  }
  const gpu = req.gpu;
  if (gpu === undefined || gpu === false) return out;
  if (gpu === true) out.gpus = { count: 1, optional: false, at: at('gpu') };
  else if (gpu === 'optional') out.gpus = { count: 1, optional: true, at: at('gpu') };
  else if (gpu && typeof gpu === 'object' && !Array.isArray(gpu)) {
    const { cores, memory, ...rest } = gpu as Record<string, unknown>;
    out.gpus = { count: 1, optional: false, at: at('gpu') };
    if (cores !== undefined) warn(at('gpu', 'cores'), `hostRequirements.gpu.cores: ignored: ${GPU_CORES_IGNORED}`);
    if (memory !== undefined) {
      const bytes = typeof memory === 'string' ? specSize(memory) : null;
      if (bytes) out.gpus.memory = bytes;
      else refuse(at('gpu', 'memory'), 'hostRequirements.gpu.memory must be a size such as "16gb"');
    }
    for (const key of Object.keys(rest)) warn(at('gpu', key), `hostRequirements.gpu.${key}: unknown, ignored`);
  } else refuse(at('gpu'), 'hostRequirements.gpu must be true, false, "optional" or { "cores": N, "memory": "16gb" }');
  return out;
}

const GiB = (bytes: number) => `${(bytes / 1024 ** 3).toFixed(1)} GiB`;

/**
 * The requirements this host cannot meet, as `file:line:col: …` lines (empty: it can). CPUs and
 * memory are compared with what `host.info` says the host has; GPUs are the agent's to resolve
 * (against its allocator and quota, at start).
 */
export function unmetRequirements(req: Requirements, host: Pick<HostInfo, 'cpus' | 'memory' | 'host'>): string[] {
  const unmet: string[] = [];
  if (req.cpus && req.cpus.value > host.cpus) {
    unmet.push(
      `${req.cpus.at}: hostRequirements.cpus ${req.cpus.value}: host ${host.host} has ${host.cpus} CPUs; create it on a larger host, or lower the requirement`,
    );
  }
  if (req.memory && req.memory.value > host.memory) {
    unmet.push(
      `${req.memory.at}: hostRequirements.memory ${GiB(req.memory.value)}: host ${host.host} has ${GiB(host.memory)}; create it on a larger host, or lower the requirement`,
    );
  }
  return unmet;
}
