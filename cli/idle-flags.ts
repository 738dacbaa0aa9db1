import { UsageError } from './args';
import { durationProblem, parseDuration } from './duration';
import type { IdleConfig } from '../agent/idle/settings';

/** `berth serve` flags of the idle monitor; durations with a unit (90s, 30m, 4h). */
export const IDLE_OPTIONS = {
  'idle-timeout': { type: 'string' },
  'attached-grace': { type: 'string' },
  'max-lifetime': { type: 'string' },
  'idle-max': { type: 'string' },
  'idle-warn-before': { type: 'string' },
  'keepalive-max': { type: 'string' },
  'keepalive-default': { type: 'string' },
  'idle-interval': { type: 'string' },
  'idle-cpu-threshold': { type: 'string' },
} as const;

export const IDLE_USAGE =
  '[--idle-timeout DUR] [--attached-grace DUR] [--max-lifetime DUR] [--idle-max DUR] [--idle-warn-before DUR] [--keepalive-max DUR] [--keepalive-default DUR] [--idle-interval DUR] [--idle-cpu-threshold CORES]';

/**
 * The longest sampling interval: a timer's delay is at most 2^31-1 ms (24.8 days) in Node, and a
 * longer one fires at once, again and again; a day is already far longer than anyone needs.
 */
export const MAX_INTERVAL_SECONDS = 86_400;

const DURATIONS: [keyof typeof IDLE_OPTIONS, keyof IdleConfig, number][] = [
  ['idle-timeout', 'timeout', 0],
  ['attached-grace', 'attachedGrace', 0],
  ['max-lifetime', 'maxLifetime', 0],
  ['idle-max', 'idleMax', 0],
  ['idle-warn-before', 'warnBefore', 0],
  ['keepalive-max', 'keepaliveMax', 1],
  ['keepalive-default', 'keepaliveDefault', 1],
  ['idle-interval', 'interval', 1],
];

/** Applies the idle flags given in `values` to `idle`; a bad value is a usage error. */
export function applyIdleFlags(
  idle: IdleConfig,
  values: Partial<Record<keyof typeof IDLE_OPTIONS, string>>,
  usage: string,
): void {
  for (const [flag, key, min] of DURATIONS) {
    const text = values[flag];
    if (text === undefined) continue;
    const seconds = parseDuration(text);
    if (seconds === null) throw new UsageError(`--${flag} ${text}: ${durationProblem(text)}`, usage);
    if (seconds < min) {
      throw new UsageError(`--${flag} ${text}: expected a duration of at least ${min}s such as 90s, 30m or 4h`, usage);
    }
    if (flag === 'idle-interval' && seconds > MAX_INTERVAL_SECONDS) {
      throw new UsageError(`--${flag} ${text}: the monitor looks at least once a day; give 1d or less`, usage);
    }
    idle[key] = seconds;
  }
  const threshold = values['idle-cpu-threshold'];
  if (threshold !== undefined) {
    const cores = Number(threshold);
    if (!Number.isFinite(cores) || cores <= 0) {
      throw new UsageError(`--idle-cpu-threshold ${threshold}: expected cores such as 0.1`, usage);
    }
    idle.cpuThreshold = cores;
  }
  if (idle.keepaliveDefault > idle.keepaliveMax) idle.keepaliveDefault = idle.keepaliveMax;
}

/** `berth create` / `berth update` flags for a workspace's own idle settings. */
export const IDLE_SPEC_OPTIONS = {
  'idle-timeout': { type: 'string' },
  'attached-grace': { type: 'string' },
  'max-lifetime': { type: 'string' },
} as const;

export const IDLE_SPEC_USAGE = '[--idle-timeout DUR] [--attached-grace DUR] [--max-lifetime DUR]';

/** The spec fields of the idle flags given (seconds; 0 for the timeout or lifetime means never). */
export function idleSpecFlags(
  values: Partial<Record<keyof typeof IDLE_SPEC_OPTIONS, string>>,
  usage: string,
): { idleTimeout?: number; attachedGrace?: number; maxLifetime?: number } {
  const spec: { idleTimeout?: number; attachedGrace?: number; maxLifetime?: number } = {};
  const fields = [
    ['idle-timeout', 'idleTimeout'],
    ['attached-grace', 'attachedGrace'],
    ['max-lifetime', 'maxLifetime'],
  ] as const;
  for (const [flag, field] of fields) {
    const text = values[flag];
    if (text === undefined) continue;
    const seconds = parseDuration(text);
    if (seconds === null) {
      throw new UsageError(`--${flag} ${text}: ${durationProblem(text)} (0 for never)`, usage);
    }
    spec[field] = seconds;
  }
  return spec;
}
