import type { StopReason, Workspace } from '../../protocol';
import { agoInWords, inWords } from './countdown';

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

/** `2024-05-01T10:05:00.000Z` → `2024-05-01 10:05:00 UTC`, as the tree writes times. */
export function utcTime(iso: string): string {
  return iso.replace('T', ' ').replace(/(\.\d+)?Z$/, ' UTC');
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
 */
export function idleLines(ws: Workspace, now: number): string[] {
  const lines: string[] = [];
  if (ws.state === 'stopped' && ws.stopReason) lines.push(REASON_SENTENCES[ws.stopReason]);
  if (ws.state === 'running' && ws.keepUntil && Date.parse(ws.keepUntil) > now) {
    lines.push(`Kept running until ${utcTime(ws.keepUntil)}.`);
  }
  if (ws.state === 'running' && ws.idleStopAt) {
    const left = Date.parse(ws.idleStopAt) - now;
    lines.push(
      `Stops ${inWords(Math.max(0, left))} (${utcTime(ws.idleStopAt)}) unless someone is present or it is busy.`,
    );
  }
  if (ws.lastActivity) {
    const ago = agoInWords(Math.max(0, now - Date.parse(ws.lastActivity.at)));
    const source = ws.lastActivity.source ? ` (${ws.lastActivity.source})` : '';
    lines.push(`Last activity: ${ws.lastActivity.signal}${source}, ${utcTime(ws.lastActivity.at)} (${ago}).`);
  }
  return lines;
}
