import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { AgentClient } from '../../client/agent-client';
import type { MethodName, ParamsInput, Result } from '../../protocol';
import { freePort } from '../../test/support/agent-process';
import { waitFor } from '../../test/support/wait';
import type { Cleanup } from './cleanup';

/**
 * The bundle measured: the real `berth` binary, as users run it; `BERTH_BENCH_BUNDLE` names another
 * (an older build, to compare with), which the benchmarks that honour it then do not rebuild.
 */
export const BERTH = process.env.BERTH_BENCH_BUNDLE ?? path.resolve(__dirname, '..', '..', 'dist', 'berth.js');

/** Where and as whom a benchmark agent runs. */
export interface BenchAgentOptions {
  stateDir: string;
  ports: { first: number; last: number };
  /** The token's user; the agent's workspaces are labelled with it (`dev.berth.owner`). */
  user: string;
  /** Loads {@link V8_PROBE} into the agent (see there); it does nothing until asked. */
  v8Probe?: boolean;
  /** More `berth serve` options (`--trash-keep 0`, say). */
  serveArgs?: string[];
}

/** Resident memory of a process, in bytes, from /proc/PID/status. */
export interface ProcessMemory {
  /** VmRSS: resident now. */
  rss: number;
  /** VmHWM: the peak of VmRSS. */
  hwm: number;
  /** RssAnon: heap and other private memory; the rest of VmRSS is mapped files (node's code) and shmem. */
  anon: number;
  /** RssFile: resident pages of mapped files, mostly the node binary. */
  file: number;
}

/** Reads {@link ProcessMemory} of `pid`. */
export async function processMemory(pid: number): Promise<ProcessMemory> {
  const status = await fs.readFile(`/proc/${pid}/status`, 'utf8');
  const bytes = (field: string) => {
    const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status);
    if (!match) throw new Error(`no ${field} in /proc/${pid}/status`);
    return Number(match[1]) * 1024;
  };
  return { rss: bytes('VmRSS'), hwm: bytes('VmHWM'), anon: bytes('RssAnon'), file: bytes('RssFile') };
}

/** Garbage collections: how many, how many major, their total and longest pause. */
export interface GcPauses {
  count: number;
  major: number;
  totalMs: number;
  maxMs: number;
}

/** What {@link V8_PROBE} reports: process.memoryUsage() before and after a full GC, and V8's heap spaces. */
export interface V8Memory {
  before: NodeJS.MemoryUsage;
  after: NodeJS.MemoryUsage;
  /** Used bytes per V8 heap space after the GC (old_space, code_space, large_object_space...). */
  spaces: Record<string, number>;
}

/** Pauses of `later` not yet in `earlier` (both cumulative); the longest is the longest of `later`. */
export function gcBetween(earlier: GcPauses, later: GcPauses): GcPauses {
  return {
    count: later.count - earlier.count,
    major: later.major - earlier.major,
    totalMs: later.totalMs - earlier.totalMs,
    maxMs: later.maxMs,
  };
}

const PROBE_TAG = 'berth-bench-v8 ';

/**
 * A preload for the agent's node (with --expose-gc). It adds up the agent's GC pauses (a perf_hooks
 * observer, a few microseconds per collection; forced collections left out) and answers two signals
 * on one stderr line each: SIGWINCH with the pauses so far; SIGUSR2 with V8's view of memory before
 * and after a full GC. Agent code is untouched; it uses neither signal.
 */
const V8_PROBE = `const v8 = require('node:v8');
const { PerformanceObserver, constants } = require('node:perf_hooks');
const gc = { count: 0, major: 0, totalMs: 0, maxMs: 0 };
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) {
    if (e.detail && e.detail.flags & constants.NODE_PERFORMANCE_GC_FLAGS_FORCED) continue;
    gc.count++;
    if (e.detail && e.detail.kind === constants.NODE_PERFORMANCE_GC_MAJOR) gc.major++;
    gc.totalMs += e.duration;
    gc.maxMs = Math.max(gc.maxMs, e.duration);
  }
}).observe({ entryTypes: ['gc'] });
const report = (data) => process.stderr.write(${JSON.stringify(PROBE_TAG)} + JSON.stringify(data) + '\\n');
process.on('SIGWINCH', () => report({ gc }));
process.on('SIGUSR2', () => {
  const before = process.memoryUsage();
  globalThis.gc();
  const after = process.memoryUsage();
  const spaces = Object.fromEntries(v8.getHeapSpaceStatistics().map((s) => [s.space_name, s.space_used_size]));
  report({ memory: { before, after, spaces } });
});
`;

/**
 * A `berth serve` process with a connected protocol client. Stopping it is registered with the
 * cleanup as soon as it is spawned, so an interrupted start leaves no agent behind.
 */
export class BenchAgent {
  /** Everything the agent wrote to stderr (warnings and errors: it runs with --quiet). */
  log = '';
  client!: AgentClient;
  private readonly probeLines: string[] = [];

  private constructor(
    private readonly child: ChildProcess,
    readonly url: string,
    /** A token of the agent's user, for clients other than {@link client}. */
    readonly token: string,
    /** The name of its state directory, to tell agents apart in the output. */
    readonly label: string,
  ) {
    let pending = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      pending += chunk.toString();
      let newline: number;
      while ((newline = pending.indexOf('\n')) >= 0) {
        const line = pending.slice(0, newline + 1);
        pending = pending.slice(newline + 1);
        if (line.startsWith(PROBE_TAG)) this.probeLines.push(line.slice(PROBE_TAG.length));
        else this.log += line;
      }
    });
  }

  /** Mints a token, spawns the agent, waits for /healthz and connects; `startMs` is spawn to /healthz. */
  static async start(options: BenchAgentOptions, cleanup: Cleanup): Promise<{ agent: BenchAgent; startMs: number }> {
    await fs.mkdir(options.stateDir, { recursive: true, mode: 0o700 });
    const minted = spawnSync(
      process.execPath,
      [BERTH, 'token', 'create', '--user', options.user, '--state-dir', options.stateDir, '--init'],
      { encoding: 'utf8' },
    );
    if (minted.status !== 0) throw new Error(`berth token create failed: ${minted.stderr}`);
    const nodeArgs: string[] = [];
    if (options.v8Probe) {
      const probe = path.join(options.stateDir, 'v8-probe.cjs');
      await fs.writeFile(probe, V8_PROBE);
      nodeArgs.push('--expose-gc', '--require', probe);
    }
    const port = await freePort();
    const { first, last } = options.ports;
    const args = ['serve', '--quiet', '--state-dir', options.stateDir, '--listen', `127.0.0.1:${port}`];
    const started = performance.now();
    const serve = [...args, '--ports', `${first}-${last}`, ...(options.serveArgs ?? [])];
    const child = spawn(process.execPath, [...nodeArgs, BERTH, ...serve], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    const label = path.basename(options.stateDir);
    const agent = new BenchAgent(child, `ws://127.0.0.1:${port}`, minted.stdout.trim(), label);
    cleanup.defer(`stop the agent ${label} (pid ${child.pid})`, () => agent.stop());
    await waitFor(
      `the agent on port ${port} to answer /healthz`,
      async () => {
        if (child.exitCode !== null) throw new Error(`the agent exited with ${child.exitCode}:\n${agent.log}`);
        const res = await fetch(`http://127.0.0.1:${port}/healthz`).catch(() => null);
        return res?.ok ?? false;
      },
      120_000,
    );
    const startMs = performance.now() - started;
    agent.client = await agent.within(30_000, 'the handshake', () =>
      AgentClient.connect(agent.url, agent.token, 'berth-bench'),
    );
    return { agent, startMs };
  }

  /**
   * Runs `fn` (requests to this agent) with a deadline. Past it the agent is killed, which fails what
   * is pending, so that a hung agent fails the run with a clear error instead of stalling it.
   */
  async within<T>(ms: number, what: string, fn: () => Promise<T>): Promise<T> {
    let expired = false;
    const timer = setTimeout(() => {
      expired = true;
      this.child.kill('SIGKILL');
    }, ms);
    try {
      return await fn();
    } catch (err) {
      if (!expired) throw err;
      throw new Error(`the agent (pid ${this.pid}) did not answer ${what} within ${ms / 1000} s; it was killed`, {
        cause: err,
      });
    } finally {
      clearTimeout(timer);
    }
  }

  /** One request through {@link client}, with a deadline (see {@link within}). */
  request<M extends MethodName>(method: M, params: ParamsInput<M>, timeoutMs = 120_000): Promise<Result<M>> {
    return this.within(timeoutMs, method, () => this.client.request(method, params));
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  /** Memory of the agent process. */
  memory(): Promise<ProcessMemory> {
    return processMemory(this.pid);
  }

  /** How many times the kernel preempted the agent (nonvoluntary_ctxt_switches): CPU contention. */
  async preemptions(): Promise<number> {
    const status = await fs.readFile(`/proc/${this.pid}/status`, 'utf8');
    return Number(/^nonvoluntary_ctxt_switches:\s+(\d+)/m.exec(status)?.[1] ?? NaN);
  }

  /** Asks the preloaded probe for V8's memory figures; this runs a full GC in the agent. */
  async v8Memory(): Promise<V8Memory> {
    return ((await this.probe('SIGUSR2')) as { memory: V8Memory }).memory;
  }

  /** The agent's GC pauses since it started, from the preloaded probe (no GC is forced). */
  async gcPauses(): Promise<GcPauses> {
    return ((await this.probe('SIGWINCH')) as { gc: GcPauses }).gc;
  }

  private async probe(signal: NodeJS.Signals): Promise<unknown> {
    const seen = this.probeLines.length;
    this.child.kill(signal);
    const line = await waitFor(
      `the agent to answer ${signal} (is it started with v8Probe?)`,
      () => this.probeLines[seen],
      10_000,
    );
    return JSON.parse(line);
  }

  /** Closes the client and stops the agent (SIGTERM, then SIGKILL after 20 s). */
  async stop(): Promise<void> {
    this.client?.close();
    const child = this.child;
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    await exited;
    clearTimeout(timer);
  }
}
