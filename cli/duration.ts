const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400 };

/**
 * Parses a duration such as `90` (seconds), `45s`, `30m`, `2h`, `1d` or `1h30m` into whole seconds;
 * null when it is not one.
 */
export function parseDuration(text: string): number | null {
  const trimmed = text.trim().toLowerCase();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed));
  if (!/^(\d+(\.\d+)?[smhd])+$/.test(trimmed)) return null;
  let seconds = 0;
  for (const [, value = '', unit = ''] of trimmed.matchAll(/(\d+(?:\.\d+)?)([smhd])/g)) {
    seconds += Number(value) * (UNIT_SECONDS[unit] ?? 0);
  }
  return Math.round(seconds);
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
