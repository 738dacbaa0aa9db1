import type { Home, HostInfo } from '../../protocol';
import { CLIENT_OPTIONS, parse, positionals } from '../args';
import { withClient, type Command } from '../command';
import { formatSize, formatTime } from '../format';
import { keptByOwner } from './homes';
import { DOCKER_IN_DOCKER_ALLOWED } from '../workspace-view';

const usage = 'berth info [--json]';

/** `4 (3 free): 0 NVIDIA H100 80GB HBM3, …`, or `none` with the reason nvidia-smi gave. */
function gpuLine(host: HostInfo): string {
  const assignable = host.gpus.filter((gpu) => gpu.slots > 0);
  if (!assignable.length) return `none${host.gpuNote ? ` (${host.gpuNote})` : ''}`;
  const free = assignable.filter((gpu) => gpu.free > 0).length;
  const list = assignable.map((gpu) => `${gpu.index} ${gpu.name}`).join(', ');
  return `${assignable.length} (${free} free; details: berth gpus): ${list}`;
}

/** `berth info`: the host, its agent and its capacity. */
export const info: Command = {
  name: 'info',
  summary: 'show the host, its agent and its capacity',
  usage,
  async run(argv) {
    const { values, positionals: rest } = parse(argv, CLIENT_OPTIONS, usage);
    positionals(rest, [], usage);
    await withClient(values, async (client) => {
      const host = await client.request('host.info', {});
      if (values.json) return void process.stdout.write(`${JSON.stringify(host, null, 2)}\n`);
      // An agent older than homes has no home.list: its Disk lines go without the kept homes.
      const homes = await client.request('home.list', {}).then(
        (result) => result.homes,
        () => null,
      );
      const lines = [
        ['Host', host.host],
        ['Agent', `${host.agentVersion} (protocol ${host.protocol})`],
        ['You', `${host.user.name}${host.user.admin ? ' (admin)' : ''}`],
        ['Docker', host.docker ? `${host.docker.version} (API ${host.docker.apiVersion})` : 'not reachable'],
        ['CPUs', String(host.cpus)],
        ['Memory', formatSize(host.memory)],
        ['GPUs', gpuLine(host)],
        ['Workspaces', `${host.workspaces.total} (${host.workspaces.running} running)`],
        ['SSH ports', `${host.sshPorts.first}-${host.sshPorts.last} (${host.sshPorts.used} used)`],
        ['Default image', host.defaultImage],
        ...(host.dockerInDocker ? [['Docker inside', DOCKER_IN_DOCKER_ALLOWED]] : []),
        ...(host.pullRegistries?.length ? [['Pulls from', host.pullRegistries.join(', ')]] : []),
        ...(host.orphans.length ? [['Orphans', host.orphans.join(', ')]] : []),
        ...diskLines(host, homes),
      ];
      process.stdout.write(`${lines.map(([key = '', value = '']) => `${key.padEnd(14)}${value}`).join('\n')}\n`);
    });
    return 0;
  },
};

/**
 * One `Disk` line per user: their workspaces' homes and layers together, the soft quota if any, and
 * how much of it are homes kept without a workspace (`homes`: null when the agent cannot list them).
 */
function diskLines(host: HostInfo, homes: Home[] | null): string[][] {
  if (!host.disk) return [];
  if (!host.disk.at) return [['Disk', 'not measured yet']];
  const measured = `measured ${formatTime(host.disk.at)}`;
  if (!host.disk.users.length) return [['Disk', `nothing yet (${measured})`]];
  const kept = keptByOwner(homes ?? []);
  const keptText = (user: string) => {
    const sum = kept.get(user);
    return sum ? `; kept homes: ${formatSize(sum.bytes)} in ${sum.count} (berth homes ls)` : '';
  };
  return host.disk.users.map(({ user, bytes, quota }, index) => [
    index ? '' : 'Disk',
    `${user}: ${formatSize(bytes)}${quota === null ? '' : ` of ${formatSize(quota)} quota${bytes > quota ? ' (over: new workspaces refused)' : ''}`}${index ? '' : ` (${measured})`}${keptText(user)}`,
  ]);
}
