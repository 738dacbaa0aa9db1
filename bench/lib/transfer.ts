import { spawn } from 'node:child_process';
import { promises as fs } from 'node:fs';

/**
 * Runs `command` with `args` (through `sh -c`, so `out` can take its stdout and `input` feed its
 * stdin); resolves with the wall time from spawn to exit, rejects with its stderr when it fails.
 */
export function timed(
  command: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  files: { out?: string; input?: string } = {},
): Promise<number> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const redirect = `${files.out ? ` > '${files.out}'` : ''}${files.input ? ` < '${files.input}'` : ''}`;
    const child = spawn('sh', ['-c', `exec "$0" "$@"${redirect}`, command, ...args], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('exit', (code) =>
      code === 0 ? resolve(performance.now() - started) : reject(new Error(`${command} failed: ${stderr}`)),
    );
  });
}

/** `sh -c script`, timed as {@link timed}. */
export function timedShell(script: string): Promise<number> {
  return timed('sh', ['-c', script], {});
}

async function statusField(pid: number, name: string): Promise<number> {
  const status = await fs.readFile(`/proc/${pid}/status`, 'utf8');
  return Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0) * 1024;
}

/** Peak resident memory of processes while `fn` runs. */
export interface Peak<T> {
  result: T;
  /** The highest VmHWM among `pids` (each reset before `fn`). */
  hwm: number;
  /** The highest VmRSS sampled every 50 ms, a check on {@link hwm}. */
  sampled: number;
  /** The highest VmRSS just before `fn`. */
  before: number;
}

/** Runs `fn` and measures the peak RSS of `pids` meanwhile: VmHWM, reset first, and VmRSS sampled. */
export async function peakRss<T>(pids: number[], fn: () => Promise<T>): Promise<Peak<T>> {
  for (const pid of pids) await fs.writeFile(`/proc/${pid}/clear_refs`, '5');
  const highest = async (field: string) => Math.max(...(await Promise.all(pids.map((pid) => statusField(pid, field)))));
  const before = await highest('VmRSS');
  let sampled = 0;
  const timer = setInterval(() => void highest('VmRSS').then((rss) => (sampled = Math.max(sampled, rss))), 50);
  try {
    const result = await fn();
    return { result, hwm: await highest('VmHWM'), sampled, before };
  } finally {
    clearInterval(timer);
  }
}
