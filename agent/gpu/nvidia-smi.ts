import { execFile } from 'node:child_process';

/**
 * The host's GPUs as nvidia-smi reports them. Parsing is pure (tested on real-format output); the
 * runner calls the binary with a timeout and turns every failure into "no GPUs" plus a note saying
 * why, so a host without NVIDIA drivers works as before.
 */

/** A GPU or MIG slice as the inventory knows it (no allocation state). */
export interface GpuDevice {
  /** nvidia-smi's index: "0" for a GPU, "0:1" for MIG device 1 of GPU 0. */
  index: string;
  uuid: string;
  name: string;
  /** Bytes; null when not reported. For a MIG slice, taken from its profile name (`3g.20gb` → 20 GiB). */
  memory: number | null;
  memoryUsed: number | null;
  /** Percent; null when not reported (e.g. `[N/A]`, MIG slices). */
  utilization: number | null;
  /** UUID of the parent GPU of a MIG slice, else null. */
  parent: string | null;
  /** A GPU in MIG mode: listed, but only its slices are assigned. */
  mig: boolean;
}

/** What the agent knows about the host's GPUs: the devices, and a note when there are none or the list may be wrong. */
export interface GpuInventory {
  devices: GpuDevice[];
  note?: string;
}

/** The fields asked of `--query-gpu`, in this order. */
export const QUERY_GPU_FIELDS = [
  'index',
  'uuid',
  'name',
  'memory.total',
  'memory.used',
  'utilization.gpu',
  'mig.mode.current',
] as const;

const MiB = 1024 ** 2;
const GiB = 1024 ** 3;
const RUN_TIMEOUT_MS = 10_000;

/** A value nvidia-smi prints when it has none: `[N/A]`, `[Not Supported]`, `[Insufficient Permissions]`… */
function absent(value: string): boolean {
  return value === '' || value === 'N/A' || /^\[.*\]$/.test(value);
}

/** A number from a `nounits` CSV field, or null for an absent or unparsable one. */
function numberField(value: string): number | null {
  if (absent(value)) return null;
  const number = Number(value.replace(/\s*(MiB|%)$/, ''));
  return Number.isFinite(number) ? number : null;
}

/** Splits a CSV line into `count` fields; extra commas are taken to belong to the name (the third field). */
function fields(line: string, count: number): string[] | null {
  const parts = line.split(',').map((part) => part.trim());
  if (parts.length < count) return null;
  const extra = parts.length - count;
  return [...parts.slice(0, 2), parts.slice(2, 3 + extra).join(', '), ...parts.slice(3 + extra)];
}

/** The fields asked of drivers older than R450, which know no MIG and refuse `mig.mode.current`. */
export const QUERY_GPU_FIELDS_NO_MIG = QUERY_GPU_FIELDS.filter((field) => field !== 'mig.mode.current');

/**
 * Parses `nvidia-smi --query-gpu=<QUERY_GPU_FIELDS> --format=csv,noheader,nounits` (or, with
 * `fieldCount` 6, the {@link QUERY_GPU_FIELDS_NO_MIG} of an older driver). Lines that do not fit
 * (warnings, blank lines) are skipped.
 */
export function parseQueryGpu(text: string, fieldCount: number = QUERY_GPU_FIELDS.length): GpuDevice[] {
  const devices: GpuDevice[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    const row = fields(line, fieldCount);
    if (!row) continue;
    const [index = '', uuid = '', name = '', total = '', used = '', utilization = '', mig = ''] = row;
    if (!/^\d+$/.test(index) || !uuid.startsWith('GPU-')) continue;
    const memory = numberField(total);
    const memoryUsed = numberField(used);
    devices.push({
      index,
      uuid,
      name,
      memory: memory === null ? null : memory * MiB,
      memoryUsed: memoryUsed === null ? null : memoryUsed * MiB,
      utilization: numberField(utilization),
      parent: null,
      mig: mig === 'Enabled',
    });
  }
  return devices;
}

/** A MIG device of `nvidia-smi -L`, under the GPU it belongs to. */
export interface MigListing {
  gpuUuid: string;
  gpuIndex: string;
  device: string;
  profile: string;
  uuid: string;
}

/**
 * Parses `nvidia-smi -L`: `GPU 0: NAME (UUID: GPU-…)` lines, each followed by its MIG devices,
 * `  MIG 3g.20gb     Device  0: (UUID: MIG-…)` (also the `MIG-GPU-<uuid>/<gi>/<ci>` form of older
 * drivers). Returns the MIG devices only; the GPUs come from `--query-gpu`.
 */
export function parseListMig(text: string): MigListing[] {
  const slices: MigListing[] = [];
  let gpu: { uuid: string; index: string } | null = null;
  for (const line of text.split('\n')) {
    const gpuLine = /^GPU\s+(\d+):.*\(UUID:\s*(GPU-[^)\s]+)\)/.exec(line);
    if (gpuLine) {
      gpu = { index: gpuLine[1] ?? '', uuid: gpuLine[2] ?? '' };
      continue;
    }
    const migLine = /^\s+MIG\s+(\S+)\s+Device\s+(\d+):\s*\(UUID:\s*(MIG-[^)\s]+)\)/.exec(line);
    if (migLine && gpu) {
      slices.push({
        gpuUuid: gpu.uuid,
        gpuIndex: gpu.index,
        profile: migLine[1] ?? '',
        device: migLine[2] ?? '',
        uuid: migLine[3] ?? '',
      });
    }
  }
  return slices;
}

/** The memory of a MIG profile from its name: `3g.20gb` → 20 GiB; null when the name says none. */
export function migProfileMemory(profile: string): number | null {
  const match = /\.(\d+)gb/i.exec(profile);
  return match ? Number(match[1]) * GiB : null;
}

/** Joins GPUs and their MIG slices: each slice follows its parent, named after it and its profile. */
export function buildInventory(gpus: GpuDevice[], slices: MigListing[]): GpuDevice[] {
  const devices: GpuDevice[] = [];
  for (const gpu of gpus) {
    devices.push(gpu);
    if (!gpu.mig) continue;
    for (const slice of slices.filter((s) => s.gpuUuid === gpu.uuid)) {
      devices.push({
        index: `${gpu.index}:${slice.device}`,
        uuid: slice.uuid,
        name: `${gpu.name} MIG ${slice.profile}`,
        memory: migProfileMemory(slice.profile),
        memoryUsed: null,
        utilization: null,
        parent: gpu.uuid,
        mig: false,
      });
    }
  }
  return devices;
}

/** Why running nvidia-smi failed, in words; `notFound` when there is no such binary. */
export class NvidiaSmiError extends Error {
  constructor(
    message: string,
    readonly notFound: boolean,
  ) {
    super(message);
  }
}

/** Runs nvidia-smi with `args` (timeout 10 s) and returns its stdout. */
export function runNvidiaSmi(binary: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(binary, args, { timeout: RUN_TIMEOUT_MS, encoding: 'utf8' }, (err, stdout, stderr) => {
      if (!err) return resolve(stdout);
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'EACCES') {
        return reject(new NvidiaSmiError(`nvidia-smi not found or not executable (looked for "${binary}")`, true));
      }
      const said = `${stderr}\n${stdout}`.split('\n').find((line) => line.trim()) ?? err.message;
      reject(new NvidiaSmiError(`${binary} ${args[0] ?? ''} failed: ${said.trim()}`, false));
    });
  });
}

/**
 * Reads the inventory: `--query-gpu`, and `-L` when a GPU is in MIG mode. Never throws: no binary,
 * a failing driver or no GPU give zero devices and a note for `host.info`.
 */
export async function readInventory(binary: string): Promise<GpuInventory> {
  try {
    const gpus = await queryGpus(binary);
    if (!gpus.length) return { devices: [], note: 'nvidia-smi lists no GPUs on this host' };
    const slices = gpus.some((gpu) => gpu.mig) ? parseListMig(await runNvidiaSmi(binary, ['-L'])) : [];
    return { devices: buildInventory(gpus, slices) };
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    if (/No devices were found/i.test(message)) return { devices: [], note: 'nvidia-smi lists no GPUs on this host' };
    const hint =
      err instanceof NvidiaSmiError && err.notFound
        ? '; this host offers no GPUs (install the NVIDIA driver, or point berth serve --nvidia-smi at the binary)'
        : '; no GPUs are offered until it works';
    return { devices: [], note: `${message}${hint}` };
  }
}

/** The GPUs of `--query-gpu`; a driver older than R450 refuses `mig.mode.current`, so it is asked without. */
async function queryGpus(binary: string): Promise<GpuDevice[]> {
  const query = (fields: readonly string[]) =>
    runNvidiaSmi(binary, [`--query-gpu=${fields.join(',')}`, '--format=csv,noheader,nounits']);
  try {
    return parseQueryGpu(await query(QUERY_GPU_FIELDS));
  } catch (err) {
    if (!(err instanceof NvidiaSmiError) || !/"?mig\.mode\.current"? is not a valid field/i.test(err.message)) {
      throw err;
    }
    return parseQueryGpu(await query(QUERY_GPU_FIELDS_NO_MIG), QUERY_GPU_FIELDS_NO_MIG.length);
  }
}

/** How busy one GPU is: its utilization and the host processes using it. */
export interface GpuUsage {
  utilization: number | null;
  processes: { pid: number; usedMemory: number | null }[];
}

/**
 * Per-UUID utilization and compute processes (host PIDs), for "are this workspace's GPUs in use".
 * Under MIG, nvidia-smi attributes neither to slices: a slice's parent GPU is what it reports.
 */
export async function readUsage(binary: string): Promise<Map<string, GpuUsage>> {
  const usage = new Map<string, GpuUsage>();
  const gpus = await runNvidiaSmi(binary, ['--query-gpu=uuid,utilization.gpu', '--format=csv,noheader,nounits']);
  for (const line of gpus.split('\n')) {
    const [uuid = '', utilization = ''] = line.split(',').map((part) => part.trim());
    if (uuid) usage.set(uuid, { utilization: numberField(utilization), processes: [] });
  }
  const apps = await runNvidiaSmi(binary, [
    '--query-compute-apps=gpu_uuid,pid,used_memory',
    '--format=csv,noheader,nounits',
  ]);
  for (const line of apps.split('\n')) {
    const [uuid = '', pid = '', used = ''] = line.split(',').map((part) => part.trim());
    const entry = usage.get(uuid);
    const usedMiB = numberField(used);
    if (entry && /^\d+$/.test(pid)) {
      entry.processes.push({ pid: Number(pid), usedMemory: usedMiB === null ? null : usedMiB * MiB });
    }
  }
  return usage;
}
