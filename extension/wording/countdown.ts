/** Words and numbers of the idle countdown, free of `vscode` so they are unit-tested. */

import { zoneLabel } from './describe';

const pad = (n: number) => String(n).padStart(2, '0');

/** Time left as a clock: `4:32`, `0:05`, `1:02:03` from an hour on; `0:00` once past. */
export function formatRemaining(ms: number): string {
  const total = Math.max(0, Math.ceil(ms / 1000));
  const hours = Math.floor(total / 3600);
  const minutes = Math.floor((total % 3600) / 60);
  const seconds = total % 60;
  return hours > 0 ? `${hours}:${pad(minutes)}:${pad(seconds)}` : `${minutes}:${pad(seconds)}`;
}

/** `14:05` in the local time zone: how people read a deadline later today. */
export function clockTime(at: Date | string | number): string {
  const date = new Date(at);
  return `${pad(date.getHours())}:${pad(date.getMinutes())}`;
}

/** `in 4 min`, `in 1 h 5 min`, `in under a minute`; for tooltips that are not redrawn every second. */
export function inWords(ms: number): string {
  if (ms < 60_000) return 'in under a minute';
  const minutes = Math.round(ms / 60_000);
  if (minutes < 60) return `in ${minutes} min`;
  const hours = Math.floor(minutes / 60);
  return `in ${hours} h${minutes % 60 ? ` ${minutes % 60} min` : ''}`;
}

/** `5 min ago`, `2 h ago`, `just now`; for a past time in a tooltip. */
export function agoInWords(ms: number): string {
  if (ms < 60_000) return 'just now';
  const minutes = Math.floor(ms / 60_000);
  if (minutes < 60) return `${minutes} min ago`;
  const hours = Math.floor(minutes / 60);
  return hours < 48 ? `${hours} h ago` : `${Math.floor(hours / 24)} days ago`;
}

/** What the status bar item of a window connected to a workspace shows. */
export interface StatusView {
  text: string;
  tooltip: string;
  /** True while counting down to a warned stop: the item is redrawn every second. */
  counting: boolean;
}

/**
 * The status bar item: `$(clock) Berth: stops in 4:32` while a warned idle stop is pending (until
 * `stopAt`), otherwise the quiet `$(vm) Berth: <name>`.
 */
export function statusView(name: string, stopAt: number | undefined, now: number): StatusView {
  if (stopAt !== undefined && stopAt > now) {
    return {
      text: `$(clock) Berth: stops in ${formatRemaining(stopAt - now)}`,
      tooltip: `Berth will stop ${name} at ${clockTime(stopAt)} (${zoneLabel(new Date(stopAt))}) because nobody is present. Click to keep it running.`,
      counting: true,
    };
  }
  return {
    text: `$(vm) Berth: ${name}`,
    tooltip: `Berth workspace ${name}. Click to keep it running longer.`,
    counting: false,
  };
}

/** A deadline as people say it: `15:05` later today, `tomorrow 09:00`, else `24 Nov 09:00`. */
export function deadlineWords(at: number, now: number): string {
  const date = new Date(at);
  const day = (d: Date) => new Date(d.getFullYear(), d.getMonth(), d.getDate()).getTime();
  const days = Math.round((day(date) - day(new Date(now))) / 86_400_000);
  if (days === 0) return clockTime(date);
  if (days === 1) return `tomorrow ${clockTime(date)}`;
  const month = date.toLocaleString('en', { month: 'short' });
  return `${date.getDate()} ${month} ${clockTime(date)}`;
}

/** What the user reads after a keepalive: until when, and whether the host cut the request short. */
export function keptMessage(name: string, keepUntil: string, capped: boolean, now: number): string {
  const until = deadlineWords(Date.parse(keepUntil), now);
  const cut = capped ? ' That is the longest this host allows; it cut the time you asked for.' : '';
  return `Berth: ${name} keeps running until ${until}, even if nobody is present.${cut}`;
}
