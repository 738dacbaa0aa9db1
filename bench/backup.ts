/**
 * Backup throughput: `node --import tsx bench/backup.ts [--runs N] [--megabytes M]`.
 *
 * A fresh `berth serve` (dist/berth.js, rebuilt first) with one stopped workspace whose home holds M
 * MiB (default 1024) of incompressible data (`head -c … /dev/urandom` through `docker exec`). Tries
 * alternate, after one untimed warm-up pair:
 *
 *   berth   `berth backup NAME -o FILE` (the real CLI as a child process), spawn to exit: the agent
 *           reads the home through Docker's archive API, wraps it (backup.json, manifest, sha256)
 *           and streams it over the protocol; the CLI writes, fsyncs and renames the file.
 *   by hand `docker run --rm -v VOL:/v --entrypoint tar IMAGE c -C /v . > FILE` on the same volume
 *           (the workspace's image; its entrypoint is Berth's init, hence --entrypoint).
 *
 * Throughput = the file's bytes / wall time. The agent's peak RSS during each backup: its VmHWM,
 * reset before each try (`echo 5 > /proc/PID/clear_refs`), and VmRSS sampled every 50 ms as a check;
 * "before" is its VmRSS just before the backup (node and the agent at rest).
 * Medians (min–max). Everything made (agent, container, volume, files) is removed at the end.
 */
import { spawn, spawnSync } from 'node:child_process';
import { promises as fs, mkdtempSync, statSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { BERTH, BenchAgent } from './lib/agent';
import { Cleanup } from './lib/cleanup';
import { docker } from './lib/docker';
import { summarize, type Summary } from './lib/stats';

const { values } = parseArgs({
  options: { runs: { type: 'string', default: '5' }, megabytes: { type: 'string', default: '1024' } },
});
const runs = Number(values.runs);
const megabytes = Number(values.megabytes);
const MiB = 1024 ** 2;

/** Runs `command` with `args`, its stdout to `out` (a file) when given; resolves with the wall time. */
function timed(command: string, args: string[], env: NodeJS.ProcessEnv, out?: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const script = out ? `exec "$0" "$@" > '${out}'` : 'exec "$0" "$@"';
    const child = spawn('sh', ['-c', script, command, ...args], {
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

/** Peak resident memory of `pid` while `fn` runs: VmHWM (reset first) and the highest VmRSS sampled. */
async function peakRss<T>(
  pid: number,
  fn: () => Promise<T>,
): Promise<{ result: T; hwm: number; sampled: number; idle: number }> {
  await fs.writeFile(`/proc/${pid}/clear_refs`, '5');
  const field = async (name: string) => {
    const status = await fs.readFile(`/proc/${pid}/status`, 'utf8');
    return Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0) * 1024;
  };
  const idle = await field('VmRSS');
  let sampled = 0;
  const timer = setInterval(() => void field('VmRSS').then((rss) => (sampled = Math.max(sampled, rss))), 50);
  try {
    const result = await fn();
    return { result, hwm: await field('VmHWM'), sampled, idle };
  } finally {
    clearInterval(timer);
  }
}

async function main(): Promise<void> {
  const built = spawnSync(process.execPath, ['esbuild.mjs'], { stdio: 'inherit' });
  if (built.status !== 0) throw new Error('esbuild failed');
  const cleanup = new Cleanup();
  cleanup.onSignals();
  const root = mkdtempSync(path.join(os.tmpdir(), 'berth-bench-backup-'));
  cleanup.defer(`remove ${root}`, () => fs.rm(root, { recursive: true, force: true }));
  try {
    const { agent } = await BenchAgent.start(
      { stateDir: path.join(root, 'state'), ports: { first: 43100, last: 43109 }, user: 'bench' },
      cleanup,
    );
    const { workspace } = await agent.request('workspace.create', { name: 'big', cpus: 1, memory: 512 * MiB });
    const volume = `berth-${workspace.id}-home`;
    cleanup.defer(`remove ${volume}`, () => docker('volume', 'rm', '-f', volume).then(() => undefined));
    cleanup.defer(`remove berth-${workspace.id}`, () =>
      docker('rm', '-f', `berth-${workspace.id}`).then(() => undefined),
    );
    console.log(`filling the home with ${megabytes} MiB of random data`);
    await docker(
      'exec',
      `berth-${workspace.id}`,
      'sh',
      '-c',
      `head -c ${megabytes * MiB} /dev/urandom > /home/${workspace.spec.user}/blob.bin && sync`,
    );
    await agent.request('workspace.stop', { name: 'big' });
    const env = {
      BERTH_URL: agent.url,
      BERTH_TOKEN: agent.token,
      HOME: root,
      BERTH_CONFIG: path.join(root, 'cfg.json'),
    };

    const berthRates: number[] = [];
    const rawRates: number[] = [];
    const peaks: number[] = [];
    const sampledPeaks: number[] = [];
    for (let i = -1; i < runs; i++) {
      const file = path.join(root, 'berth.tar');
      const {
        result: ms,
        hwm,
        sampled,
        idle,
      } = await peakRss(agent.pid, () => timed(process.execPath, [BERTH, 'backup', 'big', '-o', file, '--quiet'], env));
      const berthRate = statSync(file).size / MiB / (ms / 1000);
      await fs.rm(file);
      const rawFile = path.join(root, 'raw.tar');
      const rawMs = await timed(
        'docker',
        ['run', '--rm', '-v', `${volume}:/v`, '--entrypoint', 'tar', workspace.spec.image, 'c', '-C', '/v', '.'],
        {},
        rawFile,
      );
      const rawRate = statSync(rawFile).size / MiB / (rawMs / 1000);
      await fs.rm(rawFile);
      console.log(
        `  ${(i < 0 ? 'warm-up' : `try ${i + 1}/${runs}`).padEnd(9)} berth ${berthRate.toFixed(0)} MiB/s   by hand ${rawRate.toFixed(0)} MiB/s   agent peak RSS ${(hwm / MiB).toFixed(0)} MiB (sampled ${(sampled / MiB).toFixed(0)}, before ${(idle / MiB).toFixed(0)})`,
      );
      if (i >= 0) {
        berthRates.push(berthRate);
        rawRates.push(rawRate);
        peaks.push(hwm);
        sampledPeaks.push(sampled);
      }
    }
    const b = summarize(berthRates);
    const r = summarize(rawRates);
    const mb = (s: Summary) => `${s.median.toFixed(0)} (${s.min.toFixed(0)}–${s.max.toFixed(0)})`;
    console.log('');
    console.log(`backup of a ${megabytes} MiB home (median, min–max, MiB/s):`);
    console.log(`  berth backup: ${mb(b)}`);
    console.log(`  by hand:      ${mb(r)}`);
    console.log(`  ratio: ${(b.median / r.median).toFixed(2)} (goal ≥ 0.80)`);
    console.log(
      `  agent peak RSS during a backup: ${(Math.max(...peaks) / MiB).toFixed(0)} MiB VmHWM, ${(Math.max(...sampledPeaks) / MiB).toFixed(0)} MiB sampled VmRSS (goal < 100 MB)`,
    );
  } finally {
    await cleanup.run();
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
