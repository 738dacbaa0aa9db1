/**
 * Berth backbone benchmark: `npm run bench [-- --runs N] [--only create,start,list,rss] [--image IMG]`.
 *
 * Measures the agent as users run it (dist/berth.js, rebuilt first), each section against its own
 * fresh `berth serve` with a state dir under a temporary root, on this machine's Docker engine:
 *
 *   create  create → SSH-ready. `workspace.create` over the protocol (AgentClient) until the reply;
 *           the agent replies only once sshd answers on the published port. Baseline: what a person
 *           would script by hand for the same result: write the files the agent writes (a fresh
 *           ed25519 host key, authorized_keys, an empty env, agent/image/berth-init as init), then
 *           `docker run -d -p 127.0.0.1:PORT:22` of the same image with the same mounts (named home
 *           volume, the directory read-only at /.berth), env, labels, limits, user (0) and entrypoint
 *           (`/bin/sh /.berth/init`), until the port answers with an SSH banner. The raw side polls
 *           with the agent's own probe (waitForSsh → sshBanner, every 25 ms), so "ready" means the
 *           same on both sides. Tries alternate Berth, raw, Berth, raw… so drift hits both; one
 *           untimed pair warms up first; each workspace is removed (untimed) before the next try.
 *   start   start → SSH-ready. `workspace.start` of a stopped workspace against `docker start` of a
 *           stopped raw container until the banner; each try first stops its side (untimed).
 *   list    workspace.list latency with 500 workspaces. The agent starts on a state dir seeded with
 *           500 *stopped* workspace records (no containers or volumes exist for them; stopped ones
 *           need none), then one connected client times 1000 sequential round trips after 200
 *           warm-up calls: p50/p99/max. Also timed over a bare WebSocket (reply not parsed), to
 *           separate the agent and the wire from AgentClient's validation of the reply.
 *   rss     agent memory: VmRSS/VmHWM from /proc/PID/status of a fresh agent, then after creating 50
 *           real workspaces (256 MiB, 0.25 CPU each) 5 at a time.
 *
 * Medians (min–max) over --runs tries (default 7) for create and start; each also split into the
 * phases of the agent's workspace.progress events, to show where the time goes. Everything the run
 * makes (agents, containers, volumes, temporary directories) is removed at the end, after a failure
 * and on Ctrl-C, and the run checks that nothing is left. Every request has a deadline, so a hung
 * agent fails the run instead of stalling it. Loopback only. How to read the output: BENCHMARKS.md.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { errorMessage } from '../util/log';
import { Cleanup } from './lib/cleanup';
import { footprint, type BenchContext, type Row } from './lib/context';
import { docker, remaining, sweep } from './lib/docker';
import { generateEd25519KeyPair as hostKey } from '../util/ed25519';
import { INIT_SCRIPT } from './lib/raw';
import { table } from './lib/stats';
import { benchCreate } from './sections/create';
import { benchList } from './sections/list';
import { benchRss } from './sections/rss';
import { benchStart } from './sections/start';

const SECTIONS = { create: benchCreate, start: benchStart, list: benchList, rss: benchRss } as const;
type Section = keyof typeof SECTIONS;
const USAGE = 'usage: npm run bench -- [--runs N] [--only create,start,list,rss] [--image IMAGE]';

function options(): { runs: number; only: Section[]; image: string } {
  const { values } = parseArgs({
    options: {
      runs: { type: 'string', default: '7' },
      only: { type: 'string', default: Object.keys(SECTIONS).join(',') },
      image: { type: 'string', default: 'berth-workspace:latest' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const runs = Number(values.runs);
  if (!Number.isInteger(runs) || runs < 1) throw new Error(`--runs ${values.runs}: expected a whole number ≥ 1`);
  const only = values.only.split(',').map((s) => s.trim());
  const unknown = only.filter((s) => !(s in SECTIONS));
  if (unknown.length) throw new Error(`--only: unknown section ${unknown.join(', ')}; ${USAGE}`);
  return { runs, only: only as Section[], image: values.image };
}

/** Rebuilds dist/berth.js, so that the numbers are those of the code in the tree. */
function build(): void {
  const result = spawnSync(process.execPath, ['esbuild.mjs'], { cwd: path.resolve(__dirname, '..'), encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`the build failed:\n${result.stderr}`);
}

async function machine(image: string): Promise<string> {
  const nproc = spawnSync('nproc', { encoding: 'utf8' }).stdout.trim();
  const engine = await docker('version', '--format', '{{.Server.Version}} (API {{.Server.APIVersion}})');
  const imageId = (await docker('image', 'inspect', '--format', '{{.Id}}', image)).slice(7, 19);
  const memory = `${(os.totalmem() / 1024 ** 3).toFixed(1)} GiB`;
  const load = os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
  return `${new Date().toISOString()}  ${nproc} CPUs (nproc), ${memory}, Linux ${os.release()}, Node ${process.version}, Docker ${engine}, image ${image} (${imageId}), load average ${load}`;
}

async function main(): Promise<number> {
  const { runs, only, image } = options();
  build();
  console.log(`Berth backbone benchmark: ${await machine(image)}`);
  // The bench user's key; not ssh2's generator, which drops leading zero bytes (mscdex/ssh2#1390).
  const userKey = hostKey('berth-bench-user').publicKey;
  const init = await fs.readFile(INIT_SCRIPT, 'utf8');
  const cleanup = new Cleanup();
  cleanup.onSignals();
  const root = await fs.mkdtemp(path.join(os.tmpdir(), 'berth-bench-'));
  const runId = randomBytes(3).toString('hex');
  const ctx: BenchContext = {
    runs,
    // The agent's defaults on this host (config.ts), passed explicitly so both sides get the same.
    spec: { image, cpus: Math.min(2, os.cpus().length), memory: 4 * 1024 ** 3, user: 'dev' },
    root,
    sweepName: `berthbench-${runId}`,
    user: `bench-${runId}`,
    userKey,
    init,
    cleanup,
    agents: [],
  };
  const rows: Row[] = [];
  let failed = false;
  let leftovers: string[] = [];
  try {
    // Undo actions run newest first: this check runs last, also after Ctrl-C.
    cleanup.defer('check that nothing is left', async () => {
      leftovers = await leftoversOf(ctx);
      console.log(
        leftovers.length
          ? `\ncleanup: LEFT BEHIND ${leftovers.join(', ')}`
          : `\ncleanup: none of this run's containers, volumes or directories remain`,
      );
    });
    cleanup.defer(`remove ${root}`, () => fs.rm(root, { recursive: true, force: true }));
    cleanup.defer('remove the containers and volumes of this run', () => sweep(footprint(ctx)));
    for (const section of only) {
      if (cleanup.stopping) break;
      console.log(`\n== ${section}`);
      try {
        rows.push(...(await SECTIONS[section](ctx)));
      } catch (err) {
        failed = true;
        console.log(`  FAILED: ${errorMessage(err)}`);
        rows.push({ figure: section, berth: '—', baseline: '—', ratio: '—', target: '—', pass: null });
      }
    }
  } finally {
    await cleanup.run();
  }
  report(ctx, rows);
  return failed || leftovers.length ? 1 : 0;
}

/** What this run made and did not remove: containers, volumes, its temporary root. */
async function leftoversOf(ctx: BenchContext): Promise<string[]> {
  const { containers, volumes } = await remaining(footprint(ctx));
  const root = await fs.access(ctx.root).then(
    () => [ctx.root],
    () => [],
  );
  return [...containers, ...volumes, ...root];
}

/** The agents' warnings, then the summary table. */
function report(ctx: BenchContext, rows: readonly Row[]): void {
  for (const agent of ctx.agents.filter((a) => a.log.trim())) {
    console.log(`\nagent ${agent.label} (${agent.url}) said:\n${agent.log.trim().split('\n').slice(-20).join('\n')}`);
  }
  const verdict = (pass: boolean | null) => (pass === null ? 'ERROR' : pass ? 'pass' : 'FAIL');
  const load = os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
  console.log(
    `\n== summary (${ctx.runs} tries per median; baseline: raw docker for create/start, 0 workspaces for RSS)`,
  );
  console.log(`load average now ${load} (other processes on this machine add noise, tails most)`);
  console.log(
    table([
      ['figure', 'Berth', 'baseline', 'ratio', 'target', 'result'],
      ...rows.map((r) => [r.figure, r.berth, r.baseline, r.ratio, r.target, verdict(r.pass)]),
    ]),
  );
}

main().then(
  (code) => (process.exitCode = code),
  (err: unknown) => {
    console.error(errorMessage(err));
    process.exitCode = 1;
  },
);
