import type { HostGpu } from '../../protocol';
import { CLIENT_OPTIONS, parse, positionals } from '../args';
import { withClient, type Command } from '../command';
import { formatSize, table } from '../format';

const usage = 'berth gpus [--json]';

/** Who holds a GPU, as the caller may see it: `web`, `alice/train` (an admin's view), `2 others`. */
export function holdersText(gpu: HostGpu, me: string): string {
  const named = gpu.holders
    .filter((holder) => holder.workspace !== null)
    .map((holder) => (holder.owner === me ? `${holder.workspace}` : `${holder.owner}/${holder.workspace}`));
  const others = gpu.holders.length - named.length;
  if (others) named.push(`${others} other${others > 1 ? 's' : ''}`);
  if (gpu.mig) return 'MIG mode: assigned by slice';
  return named.length ? named.join(', ') : '-';
}

/** The GPU table: one row per GPU or MIG slice. */
export function gpuTable(gpus: HostGpu[], me: string): string {
  const rows = gpus.map((gpu) => [
    gpu.index,
    gpu.uuid,
    gpu.name,
    gpu.memory === null ? '-' : formatSize(gpu.memory),
    gpu.utilization === null ? '-' : `${gpu.utilization}%`,
    gpu.mig ? '-' : `${gpu.free}/${gpu.slots}`,
    holdersText(gpu, me),
  ]);
  return table(['INDEX', 'UUID', 'NAME', 'MEMORY', 'UTIL', 'FREE', 'HELD BY'], rows);
}

/** `berth gpus`: the host's GPUs and MIG slices, and which workspaces hold them. */
export const gpus: Command = {
  name: 'gpus',
  summary: "list the host's GPUs and who holds them",
  usage,
  async run(argv) {
    const { values, positionals: rest } = parse(argv, CLIENT_OPTIONS, usage);
    positionals(rest, [], usage);
    await withClient(values, async (client) => {
      const host = await client.request('host.info', {});
      if (values.json) {
        const json = { gpus: host.gpus, sharing: host.gpuSharing, ...(host.gpuNote ? { note: host.gpuNote } : {}) };
        return void process.stdout.write(`${JSON.stringify(json, null, 2)}\n`);
      }
      if (host.gpus.length) process.stdout.write(`${gpuTable(host.gpus, host.user.name)}\n`);
      else process.stdout.write('No GPUs on this host.\n');
      if (host.gpuSharing > 1) {
        process.stdout.write(`Each GPU is shared by up to ${host.gpuSharing} workspaces (no memory isolation).\n`);
      }
      if (host.gpuNote) process.stdout.write(`${host.gpuNote}\n`);
    });
    return 0;
  },
};
