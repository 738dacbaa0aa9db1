import { HISTORY_SHOWN, historyWords, lastStop, otherFields } from '../../client/detail-fields';
import type { Workspace } from '../../protocol';
import { localTime, stateLabel } from './describe';
import { forVsCode } from './errors';
import { memoryLabel } from './sizes';

/** Seconds in words: `45 s`, `30 min`, `2 h 30 min`; how the settings read. */
function duration(seconds: number | undefined, zero: string): string {
  if (seconds === undefined) return "the host's default";
  if (seconds === 0) return zero;
  if (seconds < 60) return `${seconds} s`;
  const minutes = Math.round(seconds / 60);
  if (minutes < 60) return `${minutes} min`;
  return `${Math.floor(minutes / 60)} h${minutes % 60 ? ` ${minutes % 60} min` : ''}`;
}

const bytes = (value: number | null | undefined) => (typeof value === 'number' ? memoryLabel(value) : '-');

/**
 * The "Show Details" document of a workspace on the host `hostLabel`: every field, one `Key  value`
 * line each, then its recent lifecycle history with times (the newest {@link HISTORY_SHOWN}). Free of
 * `vscode` (unit-tested); the same content as `berth get`, in the extension's words and times.
 */
export function detailsText(ws: Workspace, hostLabel: string): string {
  const { spec } = ws;
  const gpuWish = [
    String(spec.gpus),
    ...(spec.gpuModel ? [`model ${spec.gpuModel}`] : []),
    ...(spec.gpuMemory ? [`at least ${memoryLabel(spec.gpuMemory)}`] : []),
    ...(spec.gpuUuids?.length ? [spec.gpuUuids.join(', ')] : []),
  ].join(', ');
  const stop = lastStop(ws);
  const activity = ws.lastActivity
    ? `${ws.lastActivity.signal}${ws.lastActivity.source ? ` (${ws.lastActivity.source})` : ''}, ${localTime(ws.lastActivity.at)}`
    : '-';
  const fields: [string, string][] = [
    ['Name', ws.name],
    ['Host', hostLabel],
    ['Owner', ws.owner],
    ['State', `${stateLabel(ws)} since ${localTime(ws.since)}`],
    ...(ws.message ? [['Message', forVsCode(ws.message)] as [string, string]] : []),
    ['Created', localTime(ws.createdAt)],
    ['Image', spec.image],
    ['CPUs', String(spec.cpus)],
    ['Memory', memoryLabel(spec.memory)],
    ['GPUs', gpuWish],
    ...(ws.gpus?.length
      ? [['GPUs held', ws.gpus.map((g) => `${g.index} ${g.name} (${g.uuid})`).join('; ')] as [string, string]]
      : []),
    ['SSH', `${ws.ssh.user}@${ws.ssh.host} port ${ws.ssh.port}`],
    ['User', spec.user],
    ['Command', spec.command || '(none)'],
    ['Time zone', spec.timezone ?? "the image's"],
    ['Environment', Object.keys(spec.env).length ? Object.keys(spec.env).join(', ') : '(none)'],
    ['Idle timeout', duration(spec.idleTimeout, 'never')],
    ['Attached grace', duration(spec.attachedGrace, '0 s')],
    ['Max lifetime', duration(spec.maxLifetime, 'none')],
    ['Last activity', activity],
    ['Idle stop', ws.state === 'running' ? (ws.idleStopAt ? localTime(ws.idleStopAt) : 'never') : '-'],
    ['Kept running', ws.keepUntil ? `until ${localTime(ws.keepUntil)}` : '-'],
    [
      'Disk',
      ws.disk && (ws.disk.home ?? ws.disk.layer) !== null
        ? `home ${bytes(ws.disk.home)}, layer ${bytes(ws.disk.layer)}`
        : 'not measured yet',
    ],
    ...otherFields(ws),
    ['Last stop', stop ? `${stop.reason ?? 'no reason recorded'}, ${localTime(stop.at)}` : '-'],
    ['Id', ws.id],
  ];
  const width = Math.max(...fields.map(([key]) => key.length)) + 2;
  const history = (ws.history ?? []).slice(-HISTORY_SHOWN);
  return [
    `Berth workspace ${ws.name}`,
    '',
    ...fields.map(([key, value]) => `${key.padEnd(width)}${value}`),
    '',
    history.length ? 'History (oldest first)' : 'History: none recorded yet',
    ...history.map((entry) => {
      const words = historyWords(entry.message ? { ...entry, message: forVsCode(entry.message) } : entry);
      return `  ${localTime(entry.at)}  ${words}`;
    }),
    '',
  ].join('\n');
}
