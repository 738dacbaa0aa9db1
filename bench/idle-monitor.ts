/**
 * Cost of idle monitoring: `node --import tsx bench/idle-monitor.ts [--workspaces N] [--seconds S]`.
 *
 * Starts N (default 100) light containers (`berth-base:bookworm` with sshd as their main process, as
 * in a workspace; named and labelled like workspaces) and runs the agent's own IdleMonitor over them in this process, with the
 * real Docker runtime (inspect, for each container's pid) and the real host-signal readers (SSH
 * connections from /proc/<pid>/net/tcp{,6}, CPU from the cgroup); only the store and the service are
 * stand-ins (100 running records, none busy with an operation). Then, measured with
 * process.cpuUsage() (user + system CPU of this process):
 *   baseline   S seconds (default 90) with no monitor: the process idling, as the agent does;
 *   monitored  the same S seconds with the monitor ticking at the agent's default interval (30 s);
 *   per tick   CPU of one pass over all N, the median of 15 back-to-back ticks after a warm-up.
 * Prints the monitor's average share of one core (monitored − baseline over S, and per tick ÷
 * interval) against the 1 % target. Each container has a pty (`docker run -t`), as a workspace with
 * a terminal open has. Then the typing signal alone (issue #16; agent/idle/typing.ts) over the same
 * containers, the median of 15 passes after a warm-up: quiet (a readdir and a stat per pty) and
 * typed in everywhere (each pty's access time moved before each pass, so every workspace's processes
 * are walked to name the terminal: the worst case), each ÷ interval against the 0.5 % target. The
 * containers are removed at the end, after a failure and on Ctrl-C.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import type { AgentConfig } from '../agent/config';
import { defaultConfig } from '../agent/config';
import { IdleMonitor } from '../agent/workspaces/idle-monitor';
import { TypingSignal } from '../agent/idle/typing';
import { DockerRuntime } from '../agent/runtime/docker';
import { LABELS } from '../agent/runtime/runtime';
import { createLogger } from '../util/log';
import { EventBus } from '../agent/workspaces/events';
import { containerName, toWorkspace, type WorkspaceRecord } from '../agent/state/record';
import type { WorkspaceService } from '../agent/workspaces/service';
import type { Store } from '../agent/state/store';
import { Cleanup } from './lib/cleanup';
import { summarize } from './lib/stats';

const IMAGE = 'berth-base:bookworm';
const BENCH_AGENT = `idle-bench-${process.pid}`;
/** Like a workspace, the container's main process is sshd (an ed25519 host key only, so it starts fast). */
const SSHD =
  "mkdir -p /run/sshd && ssh-keygen -q -t ed25519 -N '' -f /etc/ssh/ssh_host_ed25519_key && exec /usr/sbin/sshd -D -h /etc/ssh/ssh_host_ed25519_key";

function option(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const value = i > 0 ? Number(process.argv[i + 1]) : fallback;
  if (!Number.isFinite(value) || value <= 0) throw new Error(`--${name}: expected a positive number`);
  return value;
}

/** CPU milliseconds (user + system) this process used while `fn` ran. */
async function cpuMs(fn: () => Promise<void>): Promise<number> {
  const before = process.cpuUsage();
  await fn();
  const used = process.cpuUsage(before);
  return (used.user + used.system) / 1000;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function record(id: string, now: string): WorkspaceRecord {
  return {
    id,
    name: `w${id}`,
    owner: 'bench',
    spec: {
      name: `w${id}`,
      image: IMAGE,
      cpus: 0.1,
      memory: 64 * 1024 ** 2,
      gpus: 0,
      env: {},
      command: '',
      user: 'dev',
    },
    state: 'running',
    since: now,
    createdAt: now,
    port: 1,
    hostKey: '',
    idle: { startedAt: now, lastWorkAt: now },
  };
}

async function main(): Promise<number> {
  const count = option('workspaces', 100);
  const seconds = option('seconds', 90);
  const cleanup = new Cleanup();
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => void cleanup.run().finally(() => process.exit(130)));
  }
  const ids = Array.from({ length: count }, () => randomBytes(6).toString('hex'));
  try {
    process.stderr.write(`starting ${count} containers (${IMAGE}, sshd)…\n`);
    cleanup.defer('remove the containers', () => {
      spawnSync('docker', ['rm', '-f', ...ids.map(containerName)], { stdio: 'ignore' });
    });
    for (const id of ids) {
      const run = spawnSync(
        'docker',
        [
          'run',
          '-d',
          '-t',
          '--name',
          containerName(id),
          '--label',
          `${LABELS.agent}=${BENCH_AGENT}`,
          '--label',
          `${LABELS.workspace}=${id}`,
          '--memory',
          '64m',
          IMAGE,
          'sh',
          '-c',
          SSHD,
        ],
        { encoding: 'utf8' },
      );
      if (run.status !== 0) throw new Error(`docker run failed: ${run.stderr.trim()}`);
    }
    const config: AgentConfig = defaultConfig();
    const now = new Date().toISOString();
    const records = ids.map((id) => record(id, now));
    const store = { all: () => records, save: async () => undefined } as unknown as Store;
    const service = {
      isBusy: () => false,
      view: (r: WorkspaceRecord) => toWorkspace(r, '127.0.0.1'),
      stopRecord: async () => {
        throw new Error('the benchmark never stops a workspace');
      },
    } as unknown as WorkspaceService;
    const monitor = new IdleMonitor({
      config,
      store,
      service,
      runtime: new DockerRuntime(config.dockerSocket, BENCH_AGENT),
      bus: new EventBus(),
      log: createLogger(true),
    });

    // Warm-up: pids, cgroup paths and the code paths, as in an agent that has run a while.
    for (let i = 0; i < 3; i++) await monitor.tick();
    const ticks: number[] = [];
    for (let i = 0; i < 15; i++) ticks.push(await cpuMs(() => monitor.tick()));
    const perTick = summarize(ticks);
    const probe = monitor.observation(ids[0] ?? '');
    process.stderr.write(
      `sample of one: attached ${probe?.attached}, cpu ${probe?.cpuCores?.toFixed(4)} cores, busy ${probe?.busy}\n`,
    );

    process.stderr.write(`baseline: ${seconds} s without the monitor…\n`);
    const baseline = await cpuMs(() => sleep(seconds * 1000));
    process.stderr.write(`monitored: ${seconds} s with the monitor every ${config.idle.interval} s…\n`);
    const monitored = await cpuMs(async () => {
      monitor.start();
      await sleep(seconds * 1000);
      await monitor.stop();
    });

    const share = (ms: number) => (ms / (seconds * 1000)) * 100;
    const byPeriod = share(monitored - baseline);
    const byTick = (perTick.median / (config.idle.interval * 1000)) * 100;
    console.log(`Idle monitoring of ${count} running workspaces, interval ${config.idle.interval} s`);
    console.log(
      `  per tick (all ${count}): median ${perTick.median.toFixed(1)} ms CPU (min ${perTick.min.toFixed(1)}, max ${perTick.max.toFixed(1)}, n ${perTick.n})`,
    );
    console.log(`  baseline  ${seconds} s: ${baseline.toFixed(0)} ms CPU = ${share(baseline).toFixed(3)} % of a core`);
    console.log(
      `  monitored ${seconds} s: ${monitored.toFixed(0)} ms CPU = ${share(monitored).toFixed(3)} % of a core`,
    );
    console.log(
      `  monitor cost: ${byPeriod.toFixed(3)} % of a core over the period (monitored - baseline), ${byTick.toFixed(3)} % from the per-tick median; target < 1 %: ${Math.max(byPeriod, byTick) < 1 ? 'met' : 'NOT met'}`,
    );
    await typingCost(ids, config.idle.interval);
    return 0;
  } finally {
    await cleanup.run();
  }
}

/** The typing signal's own cost over the containers of `ids`, quiet and typed in everywhere. */
async function typingCost(ids: string[], interval: number): Promise<void> {
  const pids = ids.map((id) => {
    const out = spawnSync('docker', ['inspect', '-f', '{{.State.Pid}}', containerName(id)], { encoding: 'utf8' });
    return Number(out.stdout.trim());
  });
  const signal = new TypingSignal();
  const pass = () => Promise.all(ids.map((id, i) => signal.sample(id, pids[i] ?? 0)));
  const touchAll = async () => {
    const t = new Date();
    await Promise.all(pids.map((pid) => fs.utimes(`/proc/${pid}/root/dev/pts/0`, t, t).catch(() => undefined)));
  };
  const measure = async (typed: boolean) => {
    for (let i = 0; i < 3; i++) await pass();
    const runs: number[] = [];
    let seen = 0;
    for (let i = 0; i < 15; i++) {
      if (typed) {
        await touchAll();
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      let sources: unknown[] = [];
      runs.push(await cpuMs(async () => void (sources = await pass())));
      seen = sources.filter(Boolean).length;
    }
    return { ...summarize(runs), seen };
  };
  const quiet = await measure(false);
  const typed = await measure(true);
  const share = (ms: number) => (ms / (interval * 1000)) * 100;
  console.log(`Typing signal over ${ids.length} workspaces (one pty each), interval ${interval} s`);
  for (const [name, m] of [
    ['quiet', quiet],
    ['typed in everywhere', typed],
  ] as const) {
    console.log(
      `  ${name}: median ${m.median.toFixed(1)} ms CPU a pass (min ${m.min.toFixed(1)}, max ${m.max.toFixed(1)}), typing seen in ${m.seen}; ${share(m.median).toFixed(3)} % of a core; target < 0.5 %: ${share(m.median) < 0.5 ? 'met' : 'NOT met'}`,
    );
  }
}

main().then(
  (code) => (process.exitCode = code),
  (err: unknown) => {
    process.stderr.write(`idle-monitor benchmark failed: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  },
);
