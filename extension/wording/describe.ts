import type { StopReason, Workspace } from '../../protocol';

/** Short words for an automatic stop, shown after `stopped` in the tree: `stopped (idle)`. */
const REASON_LABELS: Record<StopReason, string | undefined> = {
  user: undefined,
  idle: 'idle',
  'attached-grace': 'idle, attached',
  'max-lifetime': 'max lifetime',
  outside: 'outside Berth',
  failed: 'failed',
};

/** Why it stopped, in a sentence for the tooltip. */
const REASON_SENTENCES: Record<StopReason, string> = {
  user: 'Stopped by a user.',
  idle: 'Stopped for idleness: nobody was present and it was not busy.',
  'attached-grace': 'Stopped for idleness: an SSH connection stayed open with nobody present for too long.',
  'max-lifetime': 'Stopped because it reached the longest time the host lets a workspace run.',
  outside: 'Stopped outside Berth (docker stop, a crash or a reboot).',
  failed: 'Stopped because it failed.',
};

const pad = (n: number) => String(n).padStart(2, '0');

/** The zone of `date` as an offset from UTC: `UTC`, `UTC+2`, `UTC-3:30`. */
export function zoneLabel(date: Date): string {
  const offset = -date.getTimezoneOffset();
  if (offset === 0) return 'UTC';
  const abs = Math.abs(offset);
  return `UTC${offset > 0 ? '+' : '-'}${Math.floor(abs / 60)}${abs % 60 ? `:${pad(abs % 60)}` : ''}`;
}

/**
 * `2024-05-01T10:05:00.000Z` → `2024-05-01 12:05 UTC+2` in the local zone: the one way the tree and
 * its tooltips write a time (absolute, so a tooltip drawn once never goes stale; with the zone, so it
 * reads the same as the clock times of the rows, `stops 12:35`).
 */
export function localTime(iso: string): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  const day = `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`;
  return `${day} ${pad(date.getHours())}:${pad(date.getMinutes())} ${zoneLabel(date)}`;
}

/** 1 → `1st`, 2 → `2nd`, 11 → `11th`, 23 → `23rd`. */
export function ordinal(n: number): string {
  const teen = n % 100 >= 11 && n % 100 <= 13;
  const suffix = teen ? 'th' : (['th', 'st', 'nd', 'rd'][n % 10] ?? 'th');
  return `${n}${suffix}`;
}

/**
 * The state as the tree describes it: `waiting for 4 GPUs · 1st in queue` while queued for GPUs,
 * `stopped (idle)` after an automatic stop, else the state itself.
 */
export function stateLabel(ws: Workspace): string {
  if (ws.gpuQueue) {
    const { gpus, position } = ws.gpuQueue;
    return `waiting for ${gpus} GPU${gpus === 1 ? '' : 's'} · ${ordinal(position)} in queue`;
  }
  const reason = ws.state === 'stopped' && ws.stopReason ? REASON_LABELS[ws.stopReason] : undefined;
  return reason ? `${ws.state} (${reason})` : ws.state;
}

/**
 * The idle lines of a workspace's tooltip (Markdown paragraphs): why it stopped, when it stops if
 * nobody comes, until when it is kept running, and its last activity with the signal that said so.
 * Only absolute times: VS Code draws a tooltip once and shows it again as drawn, so "in 12 min" would
 * go stale. `now` only tells whether a keepalive is still ahead.
 */
export function idleLines(ws: Workspace, now: number): string[] {
  const lines: string[] = [];
  if (ws.state === 'stopped' && ws.stopReason) lines.push(REASON_SENTENCES[ws.stopReason]);
  if (ws.state === 'running' && ws.keepUntil && Date.parse(ws.keepUntil) > now) {
    lines.push(`Kept running until ${localTime(ws.keepUntil)}.`);
  }
  if (ws.state === 'running' && ws.idleStopAt) {
    lines.push(`Stops at ${localTime(ws.idleStopAt)} unless someone is present or it is busy.`);
  }
  if (ws.lastActivity) {
    const source = ws.lastActivity.source ? ` (${ws.lastActivity.source})` : '';
    lines.push(`Last activity: ${ws.lastActivity.signal}${source}, ${localTime(ws.lastActivity.at)}.`);
  }
  return lines;
}

/** Archive: whether the workspace is archived (on the wire: `stopped` with `archivedAt`). */
export function isArchived(ws: Workspace): boolean {
  return ws.archivedAt !== undefined && ws.state === 'stopped';
}
