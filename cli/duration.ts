const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400 };

/** What the CLI says after a duration it cannot read. */
export const DURATION_EXAMPLES = 'a number with a unit (s, m, h or d) such as 90s, 30m, 4h, 1d or 1h30m';

/**
 * Parses a duration such as `45s`, `30m`, `2h`, `1d` or `1h30m` into whole seconds; null when it is
 * not one. A number needs its unit (`5` could be seconds or minutes): only `0`, the same in any
 * unit, goes without.
 */
export function parseDuration(text: string): number | null {
  const trimmed = text.trim().toLowerCase();
  if (/^0+(\.0+)?$/.test(trimmed)) return 0;
  if (!/^(\d+(\.\d+)?[smhd])+$/.test(trimmed)) return null;
  let seconds = 0;
  for (const [, value = '', unit = ''] of trimmed.matchAll(/(\d+(?:\.\d+)?)([smhd])/g)) {
    seconds += Number(value) * (UNIT_SECONDS[unit] ?? 0);
  }
  return Math.round(seconds);
}

/**
 * Why `text` is not a duration, for `--flag TEXT: …`: a bare number is asked for its unit
 * (`5: a duration needs a unit: 5s, 5m or 5h`), anything else gets examples.
 */
export function durationProblem(text: string): string {
  const bare = text.trim();
  if (/^\d+(\.\d+)?$/.test(bare)) return `a duration needs a unit: ${bare}s, ${bare}m or ${bare}h`;
  return `expected ${DURATION_EXAMPLES}`;
}

/** Seconds as a short duration: `45s`, `30m`, `2h`, `1h30m`, `2d`. */
export function formatSeconds(total: number): string {
  const seconds = Math.max(0, Math.round(total));
  if (seconds < 60) return `${seconds}s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m${seconds % 60 ? `${seconds % 60}s` : ''}`;
  if (seconds < 86400) {
    const minutes = Math.floor((seconds % 3600) / 60);
    return `${Math.floor(seconds / 3600)}h${minutes ? `${minutes}m` : ''}`;
  }
  const hours = Math.floor((seconds % 86400) / 3600);
  return `${Math.floor(seconds / 86400)}d${hours ? `${hours}h` : ''}`;
}
