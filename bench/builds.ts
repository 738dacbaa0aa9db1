/**
 * Builds on the host: `node --import tsx bench/builds.ts [--runs N] [--megabytes M]`.
 *
 * Two figures, each Berth against the same done by hand, tries alternating Berth, raw, Berth, raw…
 * after one untimed warm-up pair, on a fresh `berth serve` (dist/berth.js, rebuilt first):
 *
 *   rebuild  cached `berth rebuild` → SSH-ready: `buildImage` (the context read and hashed, the agent
 *            asked, a cache hit: nothing sent) then `workspace.rebuild` (the container recreated on
 *            the same home, until sshd answers). Baseline: `docker build -q` of the same folder
 *            (classic builder, every step cached), `docker rm -f` of the container, then the files
 *            and `docker run -d` of bench/lib/raw.ts on the same volume, until the SSH banner.
 *   upload   context upload throughput: a folder of M MiB (random, incompressible files) whose
 *            Dockerfile is `FROM berth-workspace:latest` plus a LABEL, so Docker's work after
 *            receiving the context is nil (its steps are cached on both sides: each side's earlier
 *            images stay until the end, as a user's previous build does); a new nonce file each try,
 *            so neither side has the context itself. Berth: `buildImage` from the call to the reply
 *            (read, hash, pack, stream over the protocol, Docker receives and tags), twice: with
 *            no digest cache (a first build of a folder: sent at once while every file is hashed
 *            on a thread beside it, the hash after the tar, protocol/build.ts `hashLast`), and
 *            with the client's digest cache (client/context-digests.ts: only the nonce is hashed,
 *            before the upload, as in a rebuild after an edit). Baseline: `tar c . | docker build -`
 *            (classic builder) of the same folder. Throughput = the tar's bytes / wall time.
 *   heap     the agent's heap growth (agent/server/heap-growth.ts): the no-digest-cache upload, tries
 *            alternating between this agent and a second one started with node's
 *            `--heap-growing-percent=0` (V8's own choice, which the agent otherwise overrides);
 *            wall time and each agent's CPU time (/proc/PID/stat) per try.
 *
 * Medians (min–max). Everything made (agent, containers, volumes, images, folders) is removed at the end.
 */
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promises as fs, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { buildImage } from '../client/build';
import { scanContext } from '../client/build-context';
import { AgentProcess } from '../test/support/agent-process';
import { docker } from './lib/docker';
import { INIT_SCRIPT, rawCreate, type RawWorkspace } from './lib/raw';
import { fmtMs, fmtSummary, summarize } from './lib/stats';

const { values } = parseArgs({
  options: { runs: { type: 'string', default: '5' }, megabytes: { type: 'string', default: '128' } },
});
const runs = Number(values.runs);
const megabytes = Number(values.megabytes);
const tag = randomBytes(4).toString('hex');
const SPEC = { image: '', cpus: 1, memory: 512 * 1024 ** 2, user: 'dev' };
const CLASSIC = { ...process.env, DOCKER_BUILDKIT: '0' };

/** `sh -c script` in `cwd`, resolving when it succeeds. */
function sh(script: string, cwd: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('sh', ['-c', script], { cwd, env: CLASSIC, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${script} failed: ${stderr}`))));
  });
}

/** User and system CPU time of process `pid` so far, in ms (fields 14 and 15 of /proc/PID/stat, in ticks of 10 ms). */
function cpuMs(pid: number | undefined): number {
  if (pid === undefined) throw new Error('the agent is not running');
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

/**
 * Tries alternating `berth` and `raw` after a warm-up pair; their medians, and the median of each
 * pair's own time ratio Berth / raw (which holds when the machine's speed drifts between pairs).
 */
async function paired(label: string, berth: () => Promise<number>, raw: () => Promise<number>) {
  const b: number[] = [];
  const r: number[] = [];
  const ratios: number[] = [];
  for (let i = -1; i < runs; i++) {
    const tb = await berth();
    const tr = await raw();
    console.log(`  ${(i < 0 ? 'warm-up' : `try ${i + 1}/${runs}`).padEnd(9)} berth ${fmtMs(tb)}   raw ${fmtMs(tr)}`);
    if (i >= 0) (b.push(tb), r.push(tr), ratios.push(tb / tr));
  }
  const sb = summarize(b);
  const sr = summarize(r);
  const pairs = summarize(ratios);
  console.log(
    `  ${label}: Berth ${fmtSummary(sb)}, raw ${fmtSummary(sr)}; Berth / raw pair by pair ${pairs.median.toFixed(2)} (${pairs.min.toFixed(2)}–${pairs.max.toFixed(2)})`,
  );
  return { berth: sb.median, raw: sr.median, pairRatio: pairs.median };
}

async function main(): Promise<void> {
  const built = spawnSync(process.execPath, ['esbuild.mjs'], { stdio: 'inherit' });
  if (built.status !== 0) throw new Error('esbuild failed');
  const root = mkdtempSync(path.join(os.tmpdir(), 'berth-bench-builds-'));
  const agent = await AgentProcess.start({ ports: { first: 43000, last: 43019 } });
  const defaultHeap = await AgentProcess.start({
    ports: { first: 43020, last: 43039 },
    nodeArgs: ['--heap-growing-percent=0'],
  });
  const images: string[] = [];
  const raw: RawWorkspace = {
    name: `berth-bench-build-raw-${tag}`,
    hostname: 'raw',
    port: 43050,
    dir: path.join(root, 'raw-bootstrap'),
    volume: `berth-bench-build-raw-${tag}-home`,
    labels: {},
  };
  try {
    const client = await agent.connect(agent.token('bench'));
    const init = await fs.readFile(INIT_SCRIPT, 'utf8');
    const userKey = spawnSync('sh', ['-c', 'cat ~/.ssh/id_ed25519.pub 2>/dev/null'], {
      encoding: 'utf8',
    }).stdout.trim();

    // 1. Cached rebuild → SSH-ready.
    console.log('cached rebuild → SSH-ready');
    const small = path.join(root, 'small');
    await fs.mkdir(small);
    writeFileSync(
      path.join(small, 'Dockerfile'),
      'FROM berth-workspace:latest\nCOPY tool.sh /usr/local/bin/\nRUN chmod 755 /usr/local/bin/tool.sh\n',
    );
    writeFileSync(path.join(small, 'tool.sh'), '#!/bin/sh\necho tool\n');
    const first = await buildImage(client, { contextDir: small, digests: path.join(root, 'context-digests.json') });
    images.push(first.image);
    await client.request('workspace.create', {
      name: 'rb',
      image: first.image,
      build: first.build,
      cpus: 1,
      memory: SPEC.memory,
    });
    const rawImage = `berth-bench-build-raw:${tag}`;
    images.push(rawImage);
    await sh(`docker build -q -t ${rawImage} .`, small);
    await rawCreate(raw, { ...SPEC, image: rawImage }, init, userKey ? [userKey] : []);
    const rebuild = await paired(
      'cached rebuild',
      async () => {
        const t0 = performance.now();
        const again = await buildImage(client, { contextDir: small, digests: path.join(root, 'context-digests.json') });
        if (!again.cached) throw new Error('the rebuild was not a cache hit');
        await client.request('workspace.rebuild', { name: 'rb', image: again.image, build: again.build });
        return performance.now() - t0;
      },
      async () => {
        const t0 = performance.now();
        await sh(`docker build -q -t ${rawImage} .`, small);
        await docker('rm', '-f', raw.name);
        await rawCreate(raw, { ...SPEC, image: rawImage }, init, userKey ? [userKey] : []);
        return performance.now() - t0;
      },
    );

    // 2. Context upload throughput.
    console.log(`context upload throughput (${megabytes} MiB)`);
    const big = path.join(root, 'big');
    await fs.mkdir(big);
    for (let i = 0; i < megabytes / 4; i++) writeFileSync(path.join(big, `blob-${i}.bin`), randomBytes(4 * 1024 ** 2));
    writeFileSync(path.join(big, 'Dockerfile'), `FROM berth-workspace:latest\nLABEL bench=${tag}\n`);
    const rawUpload = `berth-bench-build-upload:${tag}`;
    images.push(rawUpload);
    let size = 0;
    /** One Berth try: `buildImage` of the folder with a new nonce; its time, and that from the agent's "send". */
    const berthUpload = async (digests: string | null, sendTimes: number[], through = client) => {
      writeFileSync(path.join(big, 'nonce'), randomBytes(16).toString('hex'));
      const t0 = performance.now();
      let sending = 0;
      const result = await buildImage(
        through,
        { contextDir: big, digests },
        { onProgress: (p) => (sending ||= p.phase === 'uploading' ? performance.now() : 0) },
      );
      const ms = performance.now() - t0;
      sendTimes.push(performance.now() - sending);
      images.push(result.image);
      size = (await scanContext(big, { dockerfile: 'Dockerfile', args: {} })).size;
      return ms;
    };
    const rawTry = async () => {
      writeFileSync(path.join(big, 'nonce'), randomBytes(16).toString('hex'));
      const t0 = performance.now();
      await sh(`tar c . | docker build -q -t ${rawUpload} -`, big);
      return performance.now() - t0;
    };
    /** Berth's time from the agent's "send" to the reply: without the scan (and any hashing) before it. */
    const uploadOnly: number[] = [];
    console.log('  no digest cache: a first build, every file hashed while it is sent');
    const cold = await paired('upload, no digest cache', () => berthUpload(null, uploadOnly), rawTry);
    console.log('  digest cache: unchanged files not read again');
    const digests = path.join(root, 'context-digests.json');
    const warm = await paired('upload, digest cache', () => berthUpload(digests, []), rawTry);

    // 3. The agent's heap growth against V8's own.
    console.log("  the agent's heap growth: this agent (berth) against one with V8's default (raw)");
    const other = await defaultHeap.connect(defaultHeap.token('bench'));
    const cpu: { ours: number[]; v8: number[] } = { ours: [], v8: [] };
    /** One no-digest-cache upload through `through`, its agent's CPU time pushed to `into`. */
    const withCpu = async (serving: AgentProcess, through: typeof client, into: number[]) => {
      const before = cpuMs(serving.pid);
      const ms = await berthUpload(null, [], through);
      into.push(cpuMs(serving.pid) - before);
      return ms;
    };
    const heap = await paired(
      "upload, the agent's heap growth against V8's",
      () => withCpu(agent, client, cpu.ours),
      () => withCpu(defaultHeap, other, cpu.v8),
    );
    const mbps = (ms: number) => size / 1024 ** 2 / (ms / 1000);
    console.log('');
    console.log(
      `cached rebuild → SSH-ready (median): Berth ${fmtMs(rebuild.berth)}, by hand ${fmtMs(rebuild.raw)}, ratio ${(rebuild.berth / rebuild.raw).toFixed(2)}×, pair by pair ${rebuild.pairRatio.toFixed(2)}× (target ≤ 1.20×)`,
    );
    for (const [label, upload] of [
      ['no digest cache', cold],
      ['digest cache', warm],
    ] as const) {
      console.log(
        `context upload (${(size / 1024 ** 2).toFixed(0)} MiB, ${label}, median): Berth ${mbps(upload.berth).toFixed(0)} MiB/s, tar | docker build - ${mbps(upload.raw).toFixed(0)} MiB/s, ratio ${(upload.raw / upload.berth).toFixed(2)}, pair by pair ${(1 / upload.pairRatio).toFixed(2)} (target ≥ 0.80)`,
      );
    }
    const cpuOf = (tries: number[]) => fmtSummary(summarize(tries.slice(1)));
    console.log(
      `the agent's heap growth (no digest cache, median): ${mbps(heap.berth).toFixed(0)} MiB/s against ${mbps(heap.raw).toFixed(0)} MiB/s with V8's default, time pair by pair ${heap.pairRatio.toFixed(2)}×; agent CPU a try ${cpuOf(cpu.ours)} against ${cpuOf(cpu.v8)}`,
    );
    const sendMs = summarize(uploadOnly.slice(1)).median;
    console.log(
      `  of which from the agent's "send" to the reply (the scan before it left out): ${fmtMs(sendMs)}, ${mbps(sendMs).toFixed(0)} MiB/s, ratio ${(cold.raw / sendMs).toFixed(2)}`,
    );
  } finally {
    await agent.destroy();
    await defaultHeap.destroy();
    await docker('rm', '-f', raw.name).catch(() => undefined);
    await docker('volume', 'rm', '-f', raw.volume).catch(() => undefined);
    for (const image of new Set(images)) await docker('rmi', '-f', image).catch(() => undefined);
    await fs.rm(root, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
