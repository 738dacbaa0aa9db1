import { promises as fs } from 'node:fs';
import * as path from 'node:path';

/**
 * The cgroup v2 path to read a container's usage at, given `cgroup`, the path its main process is
 * in (as the host's `/proc/PID/cgroup` names it, after `0::`): that path without a final `/init`
 * segment, the parent (`/` when nothing is left); any other path unchanged. Why the parent: a
 * Docker-in-Docker workspace on cgroup v2 has berth-init's `nest_cgroup2` move every process of the
 * container's own cgroup into a child `init` (a cgroup that holds processes cannot hand its
 * controllers to children), and the inner containers' cgroups are made beside it; the container's
 * cgroup, their parent, is the one that counts them all and holds the workspace's limits.
 * `…/docker-<id>.scope/init` gives `…/docker-<id>.scope`.
 */
export const containerCgroupV2 = (cgroup: string): string => cgroup.replace(/\/init$/, '') || '/';

/**
 * The memory in use by the cgroup of process `pid`, in bytes, as `docker stats` counts it: the
 * cgroup's usage less its inactive page cache (files read once, which the kernel reclaims first).
 * cgroup v2 (`0::/path` → memory.current, memory.stat `inactive_file`) and v1 (the `memory`
 * hierarchy → memory.usage_in_bytes, memory.stat `total_inactive_file`). Null when none is readable.
 */
export async function memoryInUse(
  pid: number,
  procRoot = '/proc',
  cgroupRoot = '/sys/fs/cgroup',
): Promise<number | null> {
  const text = await fs.readFile(path.join(procRoot, String(pid), 'cgroup'), 'utf8').catch(() => '');
  const candidates: { dir: string; usage: string; inactive: string }[] = [];
  for (const line of text.split('\n')) {
    const match = /^(\d+):([^:]*):(.*)$/.exec(line.trim());
    if (!match) continue;
    const [, , controllers = '', cgroup = ''] = match;
    if (controllers === '') {
      for (const root of [cgroupRoot, path.join(cgroupRoot, 'unified')]) {
        candidates.push({
          dir: path.join(root, containerCgroupV2(cgroup)),
          usage: 'memory.current',
          inactive: 'inactive_file',
        });
      }
    } else if (controllers.split(',').includes('memory')) {
      candidates.push({
        dir: path.join(cgroupRoot, 'memory', cgroup),
        usage: 'memory.usage_in_bytes',
        inactive: 'total_inactive_file',
      });
    }
  }
  for (const { dir, usage, inactive } of candidates) {
    const used = await fs.readFile(path.join(dir, usage), 'utf8').catch(() => null);
    if (used === null || !/^\d+\s*$/.test(used)) continue;
    const stat = await fs.readFile(path.join(dir, 'memory.stat'), 'utf8').catch(() => '');
    const cache = new RegExp(`^${inactive} (\\d+)$`, 'm').exec(stat);
    return Math.max(0, Number(used) - Number(cache?.[1] ?? 0));
  }
  return null;
}
