import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { PresenceSource } from '../../protocol';
import { containerCgroupV2 } from './memory';
import { TypingSignal } from './typing';

/**
 * The host-side signals of a running workspace, read from /proc and the cgroup filesystem without
 * entering the container or sending it any traffic:
 * - attached: the SSH connections open to its sshd. The container's main process is sshd (berth-init
 *   execs it), and sshd forks one child (`sshd`, or `sshd-session` since OpenSSH 9.8) per connection
 *   that lives exactly as long as the connection: the children listed in
 *   /proc/<pid>/task/<pid>/children named sshd* are the connections. That costs three small reads.
 *   The ESTABLISHED entries for local port 22 in /proc/<pid>/net/tcp and tcp6 say the same, but
 *   reading those makes the kernel walk the whole host's TCP hash (about 2.5 ms of system CPU per
 *   file here, however few sockets the namespace has): they are the fallback for a main process that
 *   is not sshd or a kernel without the children file;
 * - CPU: the container cgroup's cumulative CPU time (cgroup v2 `cpu.stat` usage_usec, or v1
 *   `cpuacct.usage`), turned into cores used over the interval between two samples;
 * - typing: input read from one of its terminals since the previous sample (./typing.ts).
 */

const ESTABLISHED = '01';
const SSH_PORT = 22;

/**
 * The ESTABLISHED connections to local port `port` in a /proc/net/tcp or tcp6 table, as
 * `local->remote` keys (hex, as the kernel writes them). Format: kernel
 * Documentation/networking/proc_net_tcp.rst; ports are big-endian hex.
 */
export function establishedTo(table: string, port = SSH_PORT): string[] {
  const keys: string[] = [];
  for (const line of table.split('\n').slice(1)) {
    const [, local, remote, state] = line.trim().split(/\s+/);
    if (!local || !remote || state !== ESTABLISHED) continue;
    const localPort = parseInt(local.slice(local.lastIndexOf(':') + 1), 16);
    if (localPort === port) keys.push(`${local}->${remote}`);
  }
  return keys;
}

/**
 * The SSH connections of a container whose main process is `pid`: its sshd's per-connection children
 * (keys `sshd:<pid>`), or, when the main process is not sshd or the kernel has no children file, the
 * ESTABLISHED port-22 entries of its network namespace.
 */
export async function sshConnections(pid: number, procRoot = '/proc'): Promise<Set<string>> {
  const main = path.join(procRoot, String(pid));
  const comm = await fs.readFile(path.join(main, 'comm'), 'utf8');
  const children =
    comm.trim() === 'sshd'
      ? await fs.readFile(path.join(main, 'task', String(pid), 'children'), 'utf8').catch(() => null)
      : null;
  if (children === null) return tcpConnections(pid, procRoot);
  const keys = new Set<string>();
  for (const child of children.split(/\s+/).filter(Boolean)) {
    const name = await fs.readFile(path.join(procRoot, child, 'comm'), 'utf8').catch(() => '');
    if (name.startsWith('sshd')) keys.add(`sshd:${child}`);
  }
  return keys;
}

/** The ESTABLISHED connections to port 22 in the network namespace of process `pid`. */
export async function tcpConnections(pid: number, procRoot = '/proc'): Promise<Set<string>> {
  const tables = await Promise.all(
    ['tcp', 'tcp6'].map((file) =>
      fs.readFile(path.join(procRoot, String(pid), 'net', file), 'utf8').catch((err: NodeJS.ErrnoException) => {
        // A host without IPv6 has no tcp6; a missing process is the caller's business.
        if (file === 'tcp6' && err.code === 'ENOENT') return '';
        throw err;
      }),
    ),
  );
  return new Set(tables.flatMap((table) => establishedTo(table)));
}

/**
 * The file holding the cumulative CPU time of the cgroup of process `pid`, and its unit, for cgroup
 * v2 (`0::/path` → cpu.stat, which has usage_usec even without the cpu controller, in unified or
 * hybrid mounts) and v1 (the `cpuacct` hierarchy → cpuacct.usage in ns). Works with both the
 * cgroupfs (`/docker/<id>`) and systemd (`/system.slice/docker-<id>.scope`) drivers, which differ
 * only in the path. Null when none is readable.
 */
export async function cpuAccountingFile(
  pid: number,
  procRoot = '/proc',
  cgroupRoot = '/sys/fs/cgroup',
): Promise<{ file: string; unit: 'usec' | 'nsec' } | null> {
  const text = await fs.readFile(path.join(procRoot, String(pid), 'cgroup'), 'utf8');
  const candidates: { file: string; unit: 'usec' | 'nsec' }[] = [];
  for (const line of text.split('\n')) {
    const match = /^(\d+):([^:]*):(.*)$/.exec(line.trim());
    if (!match) continue;
    const [, , controllers = '', cgroup = ''] = match;
    if (controllers === '') {
      const own = containerCgroupV2(cgroup);
      candidates.push({ file: path.join(cgroupRoot, own, 'cpu.stat'), unit: 'usec' });
      candidates.push({ file: path.join(cgroupRoot, 'unified', own, 'cpu.stat'), unit: 'usec' });
    } else if (controllers.split(',').includes('cpuacct')) {
      for (const mount of ['cpuacct', 'cpu,cpuacct', 'cpuacct,cpu']) {
        candidates.push({ file: path.join(cgroupRoot, mount, cgroup, 'cpuacct.usage'), unit: 'nsec' });
      }
    }
  }
  for (const candidate of candidates) {
    if ((await readCpuMicros(candidate.file, candidate.unit).catch(() => null)) !== null) return candidate;
  }
  return null;
}

/** Cumulative CPU microseconds from a cgroup accounting file. */
export async function readCpuMicros(file: string, unit: 'usec' | 'nsec'): Promise<number> {
  const text = await fs.readFile(file, 'utf8');
  if (unit === 'nsec') return Number(text.trim()) / 1000;
  const match = /^usage_usec (\d+)$/m.exec(text);
  if (!match) throw new Error(`${file} has no usage_usec line`);
  return Number(match[1]);
}

/** One workspace's host-side signals at one sample. */
export interface HostSample {
  /** Connections seen in this sample and the one before (a readiness probe lives shorter). */
  attached: number;
  /** Cores used on average since the previous sample; null on the first sample of a process. */
  cpuCores: number | null;
  /** Whose terminal input was read since the previous sample; null when none. */
  typing: PresenceSource | null;
}

interface Previous {
  pid: number;
  connections: Set<string>;
  cpu: { file: string; unit: 'usec' | 'nsec' } | null;
  cpuMicros: number | null;
  at: number;
}

/**
 * Samples the attached and CPU signals of many workspaces, remembering each one's previous sample:
 * a connection counts once it has been seen twice in a row, CPU is the difference between two.
 */
export class HostSignals {
  private readonly previous = new Map<string, Previous>();
  private readonly typingSignal: TypingSignal;

  constructor(
    private readonly procRoot = '/proc',
    private readonly cgroupRoot = '/sys/fs/cgroup',
  ) {
    this.typingSignal = new TypingSignal(procRoot);
  }

  /** Samples workspace `id` whose container's main process is `pid`; throws when the process is gone. */
  async sample(id: string, pid: number, now: number): Promise<HostSample> {
    let before = this.previous.get(id);
    if (before?.pid !== pid) before = undefined;
    const connections = await sshConnections(pid, this.procRoot);
    const cpu = before?.cpu ?? (await cpuAccountingFile(pid, this.procRoot, this.cgroupRoot));
    const cpuMicros = cpu ? await readCpuMicros(cpu.file, cpu.unit).catch(() => null) : null;
    const typing = await this.typingSignal.sample(id, pid).catch(() => null);
    this.previous.set(id, { pid, connections, cpu, cpuMicros, at: now });
    const attached = before ? [...connections].filter((key) => before.connections.has(key)).length : 0;
    const elapsed = before ? now - before.at : 0;
    const cpuCores =
      before && before.cpuMicros !== null && cpuMicros !== null && elapsed > 0
        ? Math.max(0, cpuMicros - before.cpuMicros) / 1000 / elapsed
        : null;
    return { attached, cpuCores, typing };
  }

  /** Forgets a workspace (stopped or deleted): its next sample starts afresh. */
  forget(id: string): void {
    this.previous.delete(id);
    this.typingSignal.forget(id);
  }

  /** Forgets every workspace but those in `ids` (the running ones). */
  retain(ids: ReadonlySet<string>): void {
    for (const id of this.previous.keys()) if (!ids.has(id)) this.forget(id);
  }
}
