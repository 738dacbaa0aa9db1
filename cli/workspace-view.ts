import { HISTORY_SHOWN, historyWords, lastStop, otherFields } from '../client/detail-fields';
import { LIFECYCLE_STAGES, describePort, describeVolume, type Workspace } from '../protocol';
import { formatSeconds } from './duration';
import { formatSize, formatTime, table } from './format';

/** What `berth info` says where the agent lets workspaces run Docker inside (Docker-in-Docker, issue 13). */
export const DOCKER_IN_DOCKER_ALLOWED =
  'allowed (berth create --docker); such a workspace is privileged: it gives root on the host';

/** What `berth create --docker` and `berth get` say of a workspace that runs Docker inside. */
export const DOCKER_PRIVILEGED = 'Docker runs inside: this workspace is privileged, root in it is root on the host';

/** The width `berth ls` fits by default; `-o wide` shows every column, however wide. */
export const LS_WIDTH = 100;

/** A column of `berth ls`: its title, its cell, whether only `-o wide` shows it, its widest cell. */
interface Column {
  title: string;
  cell: (ws: Workspace) => string;
  wide?: boolean;
  owner?: boolean;
  max?: number;
}

const stopReason = (ws: Workspace) => (ws.state === 'stopped' && ws.stopReason ? `stopped: ${ws.stopReason}` : '');

/** The state, `archived` for an archived workspace (on the wire: `stopped` with `archivedAt`). */
export const stateText = (ws: Workspace): string => (ws.archivedAt && ws.state === 'stopped' ? 'archived' : ws.state);

/** The last activity, with what showed it: `present (ssh terminal) 2026-12-02 21:16 UTC`. */
export function activityText(ws: Workspace): string {
  if (!ws.lastActivity) return '';
  const source = ws.lastActivity.source ? ` (${ws.lastActivity.source})` : '';
  return `${ws.lastActivity.signal}${source} ${formatTime(ws.lastActivity.at)}`;
}

/**
 * The narrow table's last cell, within `room` characters: the message (a long one cut, pointing at
 * `berth get NAME`), the pending idle stop, or why it stopped.
 */
function note(ws: Workspace, room: number): string {
  if (ws.message) {
    if (ws.message.length <= room) return ws.message;
    const more = `… (berth get ${ws.name})`;
    return more.length + 8 <= room ? `${ws.message.slice(0, room - more.length)}${more}` : cut(ws.message, room);
  }
  if (ws.state === 'running') return cut(ws.idleStopAt ? `idle stop ${formatTime(ws.idleStopAt)}` : '', room);
  return cut(stopReason(ws), room);
}

/** The HOME and LAYER cells: bytes on disk as last measured, `-` before; over quota marked `!`. */
function disk(bytes: number | null | undefined, ws: Workspace, marked: boolean): string {
  const size = typeof bytes === 'number' ? formatSize(bytes) : '-';
  return marked && ws.disk?.overQuota ? `${size} !` : size;
}

/** The GPUs a workspace holds (`0, 1`) or asks for (`2`). */
function gpus(ws: Workspace): string {
  if (ws.gpus?.length) return ws.gpus.map((gpu) => gpu.index).join(',');
  return String(ws.spec.gpus);
}

/** The columns of `berth ls`, in order; a new one is one more entry. */
const COLUMNS: Column[] = [
  { title: 'NAME', cell: (ws) => ws.name, max: 24 },
  { title: 'OWNER', cell: (ws) => ws.owner, owner: true, max: 12 },
  { title: 'STATE', cell: (ws) => stateText(ws) },
  { title: 'SSH', cell: (ws) => `${ws.ssh.host}:${ws.ssh.port}`, wide: true },
  { title: 'IMAGE', cell: (ws) => ws.spec.image, wide: true },
  { title: 'CPUS', cell: (ws) => String(ws.spec.cpus) },
  { title: 'MEMORY', cell: (ws) => formatSize(ws.spec.memory) },
  { title: 'GPUS', cell: gpus, max: 9 },
  { title: 'SINCE', cell: (ws) => formatTime(ws.since), wide: true },
  { title: 'LAST ACTIVITY', cell: activityText, wide: true },
  { title: 'IDLE STOP', cell: (ws) => (ws.state === 'running' ? formatTime(ws.idleStopAt) : ''), wide: true },
  { title: 'HOME', cell: (ws) => disk(ws.disk?.home, ws, true), wide: true },
  { title: 'LAYER', cell: (ws) => disk(ws.disk?.layer, ws, false), wide: true },
  { title: 'DOCKER', cell: (ws) => (ws.spec.docker ? 'privileged' : ''), wide: true },
  { title: 'MESSAGE', cell: (ws) => [stopReason(ws), ws.message ?? ''].filter(Boolean).join('; '), wide: true },
];

/** `text` cut to `max` characters, the cut marked `…`. */
export function cut(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, Math.max(0, max - 1))}…`;
}

/**
 * `berth ls` as text: by default the columns that fit {@link LS_WIDTH} (names cut, a long message
 * pointing at `berth get NAME`); `wide`, every column in full. `withOwner` adds OWNER (admins see
 * everyone's).
 */
export function workspaceTable(workspaces: Workspace[], withOwner: boolean, wide: boolean): string {
  const columns = COLUMNS.filter((c) => (withOwner || !c.owner) && (wide || !c.wide));
  if (wide) {
    return table(
      columns.map((c) => c.title),
      workspaces.map((ws) => columns.map((c) => c.cell(ws))),
    );
  }
  const rows = workspaces.map((ws) => columns.map((c) => (c.max ? cut(c.cell(ws), c.max) : c.cell(ws))));
  const used = columns.reduce(
    (sum, c, i) => sum + Math.max(c.title.length, ...rows.map((row) => (row[i] ?? '').length)) + 2,
    0,
  );
  const room = Math.max('NOTE'.length, LS_WIDTH - used);
  workspaces.forEach((ws, i) => rows[i]?.push(note(ws, room)));
  return table([...columns.map((c) => c.title), 'NOTE'], rows);
}

/** Prints workspaces as a table (or JSON). */
export function printWorkspaces(workspaces: Workspace[], json: boolean, withOwner: boolean, wide = false): void {
  if (json) return void process.stdout.write(`${JSON.stringify(workspaces, null, 2)}\n`);
  if (!workspaces.length) return void process.stdout.write('No workspaces. Create one with: berth create NAME\n');
  process.stdout.write(`${workspaceTable(workspaces, withOwner, wide)}\n`);
}

const seconds = (value: number | undefined, zero: string) =>
  value === undefined ? "the agent's default" : value === 0 ? zero : formatSeconds(value);

/** Every field of a workspace for people, one `Key  value` line each (`berth get NAME`). */
export function describeWorkspace(ws: Workspace): string {
  const { spec } = ws;
  const gpuWish = [
    String(spec.gpus),
    ...(spec.gpuModel ? [`model ${spec.gpuModel}`] : []),
    ...(spec.gpuMemory ? [`at least ${formatSize(spec.gpuMemory)}`] : []),
    ...(spec.gpuUuids?.length ? [spec.gpuUuids.join(', ')] : []),
    ...(spec.gpusOptional && spec.gpus ? ['optional (it starts without them when none can be had)'] : []),
  ].join(', ');
  const lines: [string, string][] = [
    ['Name', ws.name],
    ['Owner', ws.owner],
    ['State', `${stateText(ws)} since ${formatTime(ws.archivedAt ?? ws.since)}`],
    ...(ws.message ? [['Message', ws.message] as [string, string]] : []),
    ...(ws.stopReason && ws.state === 'stopped' ? [['Stop reason', ws.stopReason] as [string, string]] : []),
    ['Created', formatTime(ws.createdAt)],
    ['Image', spec.image],
    ['CPUs', String(spec.cpus)],
    ['Memory', formatSize(spec.memory)],
    ['GPUs', gpuWish],
    ...(ws.gpus?.length
      ? [['GPUs held', ws.gpus.map((g) => `${g.index} ${g.name} (${g.uuid})`).join('; ')] as [string, string]]
      : []),
    ['SSH', `${ws.ssh.user}@${ws.ssh.host} port ${ws.ssh.port} (enter it with: berth ssh ${ws.name})`],
    ['Host key', ws.ssh.hostKey],
    ['User', spec.user],
    ['Command', spec.command || '(none)'],
    ['Time zone', spec.timezone ?? "the image's"],
    [
      'Environment',
      Object.keys(spec.env).length
        ? Object.entries(spec.env)
            .map(([k, v]) => `${k}=${v}`)
            .join(' ')
        : '(none)',
    ],
    ...devcontainerLines(ws),
    ['Idle timeout', seconds(spec.idleTimeout, 'never')],
    ['Attached grace', seconds(spec.attachedGrace, '0s')],
    ['Max lifetime', seconds(spec.maxLifetime, 'none')],
    ['Docker inside', spec.docker ? 'yes: privileged, root in it is root on the host' : 'no'],
    ['Last activity', activityText(ws) || '-'],
    ['Idle stop', ws.state === 'running' ? (ws.idleStopAt ? formatTime(ws.idleStopAt) : 'never') : '-'],
    ['Kept running', ws.keepUntil ? `until ${formatTime(ws.keepUntil)}` : '-'],
    [
      'Disk',
      ws.disk
        ? `home ${disk(ws.disk.home, ws, false)}, layer ${disk(ws.disk.layer, ws, false)} (measured ${formatTime(ws.disk.at)})${ws.disk.overQuota ? `; over the quota of ${formatSize(ws.disk.overQuota.quota)}` : ''}`
        : 'not measured yet',
    ],
    ...otherFields(ws),
    ['Last stop', lastStopText(ws)],
    ['Id', ws.id],
  ];
  const width = Math.max(...lines.map(([key]) => key.length)) + 2;
  const fields = lines.map(([key, value]) => `${key.padEnd(width)}${value}`).join('\n');
  return `${fields}\n\n${historyText(ws)}`;
}

/** The last stop in the history, with its reason and time; `-` when it never stopped. */
function lastStopText(ws: Workspace): string {
  const stop = lastStop(ws);
  if (!stop) return ws.stopReason ?? '-';
  return `${stop.reason ?? 'no reason recorded'} at ${formatTime(stop.at)}${stop.message ? ` (${stop.message})` : ''}`;
}

/** The recent lifecycle history, oldest first, one timed line each. */
function historyText(ws: Workspace): string {
  const history = ws.history ?? [];
  if (!history.length) return 'History: none recorded (an agent from before the history, or nothing happened yet)';
  const shown = history.slice(-HISTORY_SHOWN);
  const earlier = history.length - shown.length;
  const head = earlier ? `History (the last ${shown.length}; ${earlier} earlier with -o yaml):` : 'History:';
  return [head, ...shown.map((entry) => `  ${formatTime(entry.at)}  ${historyWords(entry)}`)].join('\n');
}

/** What a devcontainer.json brought: its source, ports (stored, not forwarded yet), lifecycle commands. */
function devcontainerLines(ws: Workspace): [string, string][] {
  const { spec } = ws;
  const lines: [string, string][] = [];
  if (spec.devcontainer) lines.push(['Definition', spec.devcontainer]);
  if (spec.forwardPorts?.length) {
    lines.push(['Ports', `${spec.forwardPorts.map(describePort).join(', ')} (not forwarded yet)`]);
  }
  if (spec.volumes?.length) lines.push(['Volumes', spec.volumes.map(describeVolume).join(', ')]);
  const lifecycle = spec.lifecycle;
  if (lifecycle) {
    const stages = LIFECYCLE_STAGES.filter((stage) => lifecycle[stage] !== undefined);
    lines.push([
      'Lifecycle',
      `${stages.join(', ') || '(none)'}; waits for ${lifecycle.waitFor ?? 'updateContentCommand'}`,
    ]);
  }
  if (spec.gpusOptional && spec.gpus && ws.state === 'running' && !ws.gpus?.length) {
    lines.push(['GPUs held', 'none: none could be had at start, and they are optional']);
  }
  return lines;
}
