/**
 * Orders Berth versions as semver does for `MAJOR.MINOR.PATCH[-PRERELEASE]`: numbers numerically, a
 * prerelease before its release, prereleases by their dot-separated parts (numbers below words).
 * Negative when `a` is older than `b`, 0 when equal, positive when newer.
 */
export function compareVersions(a: string, b: string): number {
  const [coreA = '', preA] = splitPre(a);
  const [coreB = '', preB] = splitPre(b);
  const byCore = compareParts(coreA.split('.'), coreB.split('.'));
  if (byCore !== 0) return byCore;
  if (preA === undefined || preB === undefined) return (preA === undefined ? 1 : 0) - (preB === undefined ? 1 : 0);
  return compareParts(preA.split('.'), preB.split('.'));
}

function splitPre(version: string): [string, string | undefined] {
  const at = version.indexOf('-');
  return at < 0 ? [version, undefined] : [version.slice(0, at), version.slice(at + 1)];
}

function compareParts(a: string[], b: string[]): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const x = a[i];
    const y = b[i];
    if (x === y) continue;
    if (x === undefined) return -1;
    if (y === undefined) return 1;
    const [nx, ny] = [/^\d+$/.test(x) ? Number(x) : NaN, /^\d+$/.test(y) ? Number(y) : NaN];
    if (!Number.isNaN(nx) && !Number.isNaN(ny)) return nx - ny;
    if (!Number.isNaN(nx)) return -1;
    if (!Number.isNaN(ny)) return 1;
    return x < y ? -1 : 1;
  }
  return 0;
}

/** The version part of a build id `<version>-<12 hex of the bundle's sha256>`. */
export function buildVersion(build: string): string {
  return build.replace(/-[0-9a-f]{12}$/, '');
}
