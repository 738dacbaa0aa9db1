/**
 * The first layering of sshd onto an image: `npm run bench:sshd-layer [-- --runs N]`.
 *
 * On this machine's Docker engine, against a fresh `berth serve` (dist/berth.js, rebuilt first):
 *
 *   first    `workspace.create` from an image without sshd (berth-base:bookworm with openssh-server
 *            purged, made here untimed) until SSH-ready, with the derived image removed before each
 *            try, so every try builds the layer (apt-get update + install openssh-server from the
 *            Debian mirror). Split at the agent's progress events: the `installing-sshd` interval is
 *            the layering.
 *   by hand  the same install as a person would do it: `docker build` of
 *            `FROM <image>` + `RUN apt-get update && apt-get install -y openssh-server`, timed with
 *            the docker CLI (classic builder, no cache: --no-cache), the tag removed after each try.
 *   cached   a create from the same image once its layer exists: no layering, one image inspect
 *            more than an image with sshd.
 *   sshd     a create from berth-workspace:latest (which has sshd), the reference for `cached`.
 *   unseen   a create from an image with sshd this agent has not seen (berth-base:bookworm with a
 *            label of the try, a new id each time): what the look into an image costs, once per id.
 *
 * Tries alternate first, by hand, cached, sshd, unseen; each workspace is removed (untimed) before the next.
 * Medians (min–max) over --runs tries (default 3: each first try fetches the package lists). The
 * network makes `first` and `by hand` vary; their ratio is what the agent adds. Everything the run
 * makes is removed at the end, after a failure and on Ctrl-C. Results: BENCHMARKS.md.
 */
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { layerTag } from '../agent/runtime/sshd-recipe';
import { errorMessage } from '../util/log';
import { BenchAgent } from './lib/agent';
import { Cleanup } from './lib/cleanup';
import { docker, sweep } from './lib/docker';
import { phased } from './lib/phases';
import { fmtMs, summarize, table } from './lib/stats';

const NO_SSHD_DOCKERFILE = [
  'FROM berth-base:bookworm',
  'RUN DEBIAN_FRONTEND=noninteractive apt-get purge -y openssh-server openssh-sftp-server >/dev/null && rm -f /usr/sbin/sshd',
].join('\n');

function runs(): number {
  const { values } = parseArgs({ options: { runs: { type: 'string', default: '3' } } });
  const n = Number(values.runs);
  if (!Number.isInteger(n) || n < 1) throw new Error(`--runs ${values.runs}: expected a whole number ≥ 1`);
  return n;
}

/**
 * `docker build -t tag -` of `dockerfile` (no context), without blocking the event loop (the agent
 * would drop a client that cannot answer its pings); rejects with its output on failure.
 */
function dockerBuild(tag: string, dockerfile: string, extra: string[] = []): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('docker', ['build', '-q', ...extra, '-t', tag, '-'], {
      env: { ...process.env, DOCKER_BUILDKIT: '0' },
      stdio: ['pipe', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`docker build ${tag} failed: ${stderr}`))));
    child.stdin.end(dockerfile);
  });
}

async function main(): Promise<void> {
  const tries = runs();
  const cleanup = new Cleanup();
  cleanup.onSignals();
  const root = await fs.mkdtemp(path.join(os.tmpdir(), 'berth-bench-sshd-'));
  cleanup.defer('remove the temporary directory', () => fs.rm(root, { recursive: true, force: true }));
  const suffix = randomBytes(4).toString('hex');
  const image = `berth-bench-nosshd:${suffix}`;
  const byHandTag = `berth-bench-byhand:${suffix}`;
  const user = `bench${suffix}`;
  try {
    const built = spawnSync(process.execPath, ['esbuild.mjs'], {
      cwd: path.resolve(__dirname, '..'),
      encoding: 'utf8',
    });
    if (built.status !== 0) throw new Error(`the build failed:\n${built.stderr}`);
    await dockerBuild(image, NO_SSHD_DOCKERFILE);
    cleanup.defer(`remove ${image}`, () => docker('image', 'rm', '-f', image).then(() => undefined));
    const derived = layerTag(await docker('image', 'inspect', '-f', '{{.Id}}', image));
    const dropDerived = () => docker('image', 'rm', '-f', derived).catch(() => '');
    cleanup.defer(`remove ${derived}`, () => dropDerived().then(() => undefined));
    cleanup.defer(`remove the workspaces of ${user}`, () =>
      sweep({ names: `berth-bench-sshd-${suffix}`, label: `dev.berth.owner=${user}` }),
    );

    const { agent } = await BenchAgent.start(
      { stateDir: path.join(root, 'state'), ports: { first: 41200, last: 41219 }, user },
      cleanup,
    );
    const create = async (name: string, from: string) => {
      const timing = await agent.within(600_000, `the create of ${name}`, () =>
        phased(agent.client, name, () => agent.client.request('workspace.create', { name, image: from })),
      );
      await agent.request('workspace.delete', { name, deleteData: true });
      return timing;
    };

    const samples = {
      first: [] as number[],
      layering: [] as number[],
      byHand: [] as number[],
      cached: [] as number[],
      unseen: [] as number[],
      sshd: [] as number[],
    };
    for (let i = 0; i < tries; i++) {
      await dropDerived();
      const first = await create(`first${i}`, image);
      // One interval per build-log line: the layering is all of them, from its first message to the container's.
      const layering = first.intervals.filter(([label]) => label === 'installing-sshd');
      if (!layering.length) throw new Error(`try ${i + 1}: the first create had no installing-sshd phase`);
      samples.first.push(first.totalMs);
      samples.layering.push(layering.reduce((sum, [, ms]) => sum + ms, 0));

      const t0 = performance.now();
      await dockerBuild(
        byHandTag,
        `FROM ${image}\nRUN apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends openssh-server`,
        ['--no-cache'],
      );
      samples.byHand.push(performance.now() - t0);
      await docker('image', 'rm', '-f', byHandTag);

      const cached = await create(`cached${i}`, image);
      if (cached.intervals.some(([label]) => label === 'installing-sshd')) {
        throw new Error('the cached create layered again');
      }
      samples.cached.push(cached.totalMs);
      samples.sshd.push((await create(`sshd${i}`, 'berth-workspace:latest')).totalMs);
      // An image with sshd the agent has not seen (a new id each try): the look into it, once per id.
      const unseen = `berth-bench-unseen:${suffix}-${i}`;
      await dockerBuild(unseen, `FROM berth-base:bookworm\nLABEL dev.berth.bench-try=${i}`);
      samples.unseen.push((await create(`unseen${i}`, unseen)).totalMs);
      await docker('image', 'rm', '-f', unseen);
      process.stderr.write(`try ${i + 1}/${tries} done\n`);
    }

    const row = (label: string, values: number[], what: string) => {
      const s = summarize(values);
      return [label, fmtMs(s.median), `${fmtMs(s.min)}–${fmtMs(s.max)}`, what];
    };
    const ratio = summarize(samples.layering).median / summarize(samples.byHand).median;
    const overhead = summarize(samples.cached).median - summarize(samples.sshd).median;
    console.log(`sshd layering, ${tries} tries (median, min–max)\n`);
    console.log(
      table([
        ['', 'median', 'min–max', ''],
        row('first create → SSH-ready', samples.first, 'image without sshd, no layer yet'),
        row('  of which installing-sshd', samples.layering, 'the agent’s build of berth-sshd:<id>'),
        row('docker build by hand', samples.byHand, 'the same apt-get install, --no-cache'),
        row('cached create → SSH-ready', samples.cached, 'same image, layer exists'),
        row('sshd image create → SSH-ready', samples.sshd, 'berth-workspace:latest'),
        row('unseen sshd image create', samples.unseen, 'image with sshd, first time: the look into it'),
      ]),
    );
    console.log(
      `\nlayering / by hand: ${ratio.toFixed(2)}; cached − sshd image: ${overhead < 0 ? '−' : ''}${fmtMs(Math.abs(overhead))}`,
    );
  } finally {
    await cleanup.run();
  }
}

main().catch((err: unknown) => {
  console.error(`bench: ${errorMessage(err)}`);
  process.exit(1);
});
