/**
 * Backup, restore and move of a home: `node --import tsx bench/backup.ts [--runs N] [--megabytes M]
 * [--only backup,restore,move]`.
 *
 * Two fresh `berth serve` agents (dist/berth.js, rebuilt first; `--trash-keep 0`), A and B, saved as
 * hosts `a` and `b` in a config of the benchmark's own; on A one stopped workspace whose home holds M
 * MiB (default 1024) of incompressible data (`head -c … /dev/urandom` through `docker exec`). Each
 * section alternates Berth and by hand after one untimed warm-up pair:
 *
 *   backup   `berth backup NAME -o FILE` (the real CLI as a child process), spawn to exit: the agent
 *            reads the home through Docker's archive API, wraps it (backup.json, manifest, sha256)
 *            and streams it over the protocol; the CLI writes, fsyncs and renames the file.
 *            By hand: `docker run --rm -v VOL:/v --entrypoint tar IMAGE c -C /v . > FILE` on the same
 *            volume (the workspace's image; its entrypoint is Berth's init, hence --entrypoint).
 *   restore  `berth restore FILE --name r` (the last backup): checked, streamed, unpacked into a new
 *            volume, the workspace started until sshd answers; deleted untimed after. By hand:
 *            `docker volume create` and `docker run --rm -i -v NEW:/v … tar x -C /v < FILE` (the last
 *            by-hand tar); the volume removed untimed after.
 *   move     `berth move NAME --host a --to b` (then back from b to a, and so on): the backup streams
 *            from one agent through the CLI into a restore on the other, which starts it; the source
 *            is deleted. The workspace is stopped (untimed) before each try. By hand: `docker run …
 *            tar c -C /v . | docker run -i … tar x -C /v` from the workspace's volume into a new one
 *            (removed untimed after).
 *
 * Throughput = the file's bytes (move: the by-hand tar's) / wall time; ratio = Berth / by hand.
 * The agents' peak RSS during each try: the VmHWM of the agent (move: the higher of the two), reset
 * before each try (`echo 5 > /proc/PID/clear_refs`), with VmRSS sampled every 50 ms as a check;
 * "before" is the VmRSS just before the try. Medians (min–max). Everything made (agents,
 * containers, volumes, files) is removed at the end. BERTH_BENCH_BUNDLE=PATH measures that bundle
 * (an older build) instead of rebuilding dist/berth.js.
 */
import { spawnSync } from 'node:child_process';
import { promises as fs, mkdtempSync, readFileSync, statSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { BERTH, BenchAgent } from './lib/agent';
import { Cleanup } from './lib/cleanup';
import { docker } from './lib/docker';
import { summarize, type Summary } from './lib/stats';
import { peakRss, timed, timedShell, type Peak } from './lib/transfer';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '5' },
    megabytes: { type: 'string', default: '1024' },
    only: { type: 'string', default: 'backup,restore,move' },
  },
});
const runs = Number(values.runs);
const megabytes = Number(values.megabytes);
const only = new Set(values.only.split(','));
const MiB = 1024 ** 2;
const mib = (bytes: number) => (bytes / MiB).toFixed(0);

/** One section's figures: throughputs (MiB/s) of both sides and the agents' peaks. */
interface Figures {
  berth: number[];
  raw: number[];
  peaks: Peak<unknown>[];
}

/** Runs `pair` for the warm-up and `runs` tries, printing each; `pair` returns both throughputs and the peak. */
async function section(label: string, pair: () => Promise<{ berth: number; raw: number; peak: Peak<unknown> }>) {
  console.log(label);
  const figures: Figures = { berth: [], raw: [], peaks: [] };
  for (let i = -1; i < runs; i++) {
    const { berth, raw, peak } = await pair();
    console.log(
      `  ${(i < 0 ? 'warm-up' : `try ${i + 1}/${runs}`).padEnd(9)} berth ${berth.toFixed(0)} MiB/s   by hand ${raw.toFixed(0)} MiB/s   agent peak RSS ${mib(peak.hwm)} MiB (sampled ${mib(peak.sampled)}, before ${mib(peak.before)})`,
    );
    if (i >= 0) (figures.berth.push(berth), figures.raw.push(raw), figures.peaks.push(peak));
  }
  return figures;
}

/** The summary lines of a section, with the throughput goal and the RSS goal. */
function report(label: string, f: Figures, goal: number | null): void {
  const b = summarize(f.berth);
  const r = summarize(f.raw);
  const ratios = summarize(f.berth.map((rate, i) => rate / f.raw[i]!));
  const peak = summarize(f.peaks.map((p) => p.hwm / MiB));
  const fmt = (s: Summary, digits = 0) =>
    `${s.median.toFixed(digits)} (${s.min.toFixed(digits)}–${s.max.toFixed(digits)})`;
  console.log(`${label} of a ${megabytes} MiB home (median, min–max):`);
  console.log(`  berth: ${fmt(b)} MiB/s   by hand: ${fmt(r)} MiB/s`);
  const verdict =
    goal === null ? '' : ` (goal ≥ ${goal.toFixed(2)}: ${b.median / r.median >= goal ? 'met' : 'MISSED'})`;
  console.log(`  ratio of the medians: ${(b.median / r.median).toFixed(2)}${verdict}; pair by pair: ${fmt(ratios, 2)}`);
  const met = Math.max(...f.peaks.map((p) => p.hwm)) < 100e6 ? 'met' : 'MISSED';
  console.log(
    `  agent peak RSS: ${fmt(peak)} MiB VmHWM, highest sampled ${mib(Math.max(...f.peaks.map((p) => p.sampled)))} MiB (goal < 100 MB = 95.4 MiB: ${met})`,
  );
}

async function main(): Promise<void> {
  const built = process.env.BERTH_BENCH_BUNDLE
    ? null
    : spawnSync(process.execPath, ['esbuild.mjs'], { stdio: 'inherit' });
  if (built && built.status !== 0) throw new Error('esbuild failed');
  const cleanup = new Cleanup();
  cleanup.onSignals();
  const root = mkdtempSync(path.join(os.tmpdir(), 'berth-bench-backup-'));
  cleanup.defer(`remove ${root}`, () => fs.rm(root, { recursive: true, force: true }));
  try {
    const start = async (name: string, first: number) => {
      const stateDir = path.join(root, name);
      const { agent } = await BenchAgent.start(
        { stateDir, ports: { first, last: first + 9 }, user: 'bench', serveArgs: ['--trash-keep', '0'] },
        cleanup,
      );
      // Whatever it made (a try that failed half-way included), by its agent-id label.
      const id = readFileSync(path.join(stateDir, 'agent-id'), 'utf8').trim();
      cleanup.defer(`remove what agent ${name} made`, () => removeLabelled(`dev.berth.agent=${id}`));
      return agent;
    };
    const agents = { a: await start('a', 43100), b: await start('b', 43110) };
    const config = path.join(root, 'cfg.json');
    const hosts = Object.fromEntries(
      Object.entries(agents).map(([h, agent]) => [h, { url: agent.url, token: agent.token }]),
    );
    await fs.writeFile(config, JSON.stringify({ default: 'a', hosts }), { mode: 0o600 });
    const env = { HOME: root, BERTH_CONFIG: config };
    const cli = (...args: string[]) => timed(process.execPath, [BERTH, ...args, '--quiet'], env);

    const { workspace } = await agents.a.request('workspace.create', { name: 'big', cpus: 1, memory: 512 * MiB });
    const image = workspace.spec.image;
    console.log(`filling the home with ${megabytes} MiB of random data`);
    await docker(
      'exec',
      `berth-${workspace.id}`,
      'sh',
      '-c',
      `head -c ${megabytes * MiB} /dev/urandom > /home/${workspace.spec.user}/blob.bin && sync`,
    );
    await agents.a.request('workspace.stop', { name: 'big' });
    let holder: 'a' | 'b' = 'a';
    const volumeOf = async () =>
      `berth-${(await agents[holder].request('workspace.get', { name: 'big' })).workspace.id}-home`;
    const tar = (volume: string, op: 'c' | 'x', i = '') =>
      `docker run --rm ${i} -v ${volume}:/v --entrypoint tar ${image} ${op} -C /v ${op === 'c' ? '.' : ''}`;
    const berthFile = path.join(root, 'berth.tar');
    const rawFile = path.join(root, 'raw.tar');
    const results: [string, Figures, number | null][] = [];

    if (only.has('backup') || only.has('restore')) {
      const f = await section('backup', async () => {
        await fs.rm(berthFile, { force: true });
        const peak = await peakRss([agents.a.pid], () => cli('backup', 'big', '--host', 'a', '-o', berthFile));
        const berth = statSync(berthFile).size / MiB / (peak.result / 1000);
        const rawMs = await timedShell(`${tar(await volumeOf(), 'c')} > '${rawFile}'`);
        return { berth, raw: statSync(rawFile).size / MiB / (rawMs / 1000), peak };
      });
      if (only.has('backup')) results.push(['backup', f, 0.8]);
    }
    if (only.has('restore')) {
      const f = await section('restore', async () => {
        const peak = await peakRss([agents.a.pid], () => cli('restore', berthFile, '--host', 'a', '--name', 'r'));
        await agents.a.request('workspace.delete', { name: 'r', deleteData: true });
        const volume = `berth-bench-restore-${process.pid}`;
        await docker('volume', 'create', volume);
        const rawMs = await timedShell(`${tar(volume, 'x', '-i')} < '${rawFile}'`);
        await docker('volume', 'rm', volume);
        const berth = statSync(berthFile).size / MiB / (peak.result / 1000);
        return { berth, raw: statSync(rawFile).size / MiB / (rawMs / 1000), peak };
      });
      results.push(['restore', f, null]);
    }
    if (only.has('move')) {
      const f = await section('move', async () => {
        const to = holder === 'a' ? 'b' : 'a';
        const { workspace: ws } = await agents[holder].request('workspace.get', { name: 'big' });
        if (ws.state !== 'stopped') await agents[holder].request('workspace.stop', { name: 'big' });
        const pids = [agents.a.pid, agents.b.pid];
        const peak = await peakRss(pids, () => cli('move', 'big', '--host', holder, '--to', to));
        holder = to;
        await agents[holder].request('workspace.stop', { name: 'big' });
        const volume = `berth-bench-move-${process.pid}`;
        await docker('volume', 'create', volume);
        const rawMs = await timedShell(`${tar(await volumeOf(), 'c')} | ${tar(volume, 'x', '-i')}`);
        await docker('volume', 'rm', volume);
        const bytes = statSync(rawFile, { throwIfNoEntry: false })?.size ?? megabytes * MiB;
        return { berth: bytes / MiB / (peak.result / 1000), raw: bytes / MiB / (rawMs / 1000), peak };
      });
      results.push(['move', f, 0.7]);
    }
    console.log('');
    for (const [label, f, goal] of results) report(label, f, goal);
  } finally {
    await cleanup.run();
  }
}

/** Removes the containers and volumes that carry `label`. */
async function removeLabelled(label: string): Promise<void> {
  const containers = (await docker('ps', '-aq', '--filter', `label=${label}`)).split('\n').filter(Boolean);
  if (containers.length) await docker('rm', '-f', ...containers);
  const volumes = (await docker('volume', 'ls', '-q', '--filter', `label=${label}`)).split('\n').filter(Boolean);
  if (volumes.length) await docker('volume', 'rm', '-f', ...volumes);
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
