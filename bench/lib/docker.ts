import { execFile } from 'node:child_process';

const TIMEOUT_MS = 120_000;

/**
 * Runs the docker CLI without blocking the event loop; resolves with stdout, rejects with stderr (or
 * after two minutes, so that a hung engine fails the run instead of stalling it).
 */
export function docker(...args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const options = { encoding: 'utf8', maxBuffer: 16 * 1024 * 1024, timeout: TIMEOUT_MS } as const;
    execFile('docker', args, options, (err, stdout, stderr) => {
      if (err) reject(new Error(`docker ${args.join(' ')} failed: ${stderr.trim() || err.message}`));
      else resolve(stdout.trim());
    });
  });
}

/** What one run made in Docker: names containing `names`, or objects labelled `label` (`key=value`). */
export interface Footprint {
  names: string;
  label: string;
}

const lines = (text: string) => text.split('\n').filter(Boolean);
const filters = ({ names, label }: Footprint) => [`name=${names}`, `label=${label}`];

/** Names of the containers and volumes of a footprint that still exist. */
export async function remaining(footprint: Footprint): Promise<{ containers: string[]; volumes: string[] }> {
  const containers = new Set<string>();
  const volumes = new Set<string>();
  for (const filter of filters(footprint)) {
    for (const name of lines(await docker('ps', '-a', '--format', '{{.Names}}', '--filter', filter))) {
      containers.add(name);
    }
    for (const name of lines(await docker('volume', 'ls', '-q', '--filter', filter))) volumes.add(name);
  }
  return { containers: [...containers], volumes: [...volumes] };
}

let sweeping: Promise<void> = Promise.resolve();

/**
 * Removes the containers, then the volumes, of a footprint, retrying until none is left: a removal
 * already in progress (an agent's, or a concurrent sweep's) or a volume still in use is waited for,
 * up to `timeoutMs`. Sweeps run one at a time.
 */
export function sweep(footprint: Footprint, timeoutMs = 120_000): Promise<void> {
  const run = sweeping.then(async () => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const { containers, volumes } = await remaining(footprint);
      if (!containers.length && !volumes.length) return;
      const removal = containers.length ? docker('rm', '-f', ...containers) : docker('volume', 'rm', '-f', ...volumes);
      const error = await removal.then(
        () => null,
        (err: Error) => err,
      );
      if (error && Date.now() > deadline) throw error;
      if (error) await new Promise((resolve) => setTimeout(resolve, 250));
    }
  });
  sweeping = run.catch(() => undefined);
  return run;
}
