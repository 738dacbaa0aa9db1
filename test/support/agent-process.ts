import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { promises as fs } from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { AgentClient } from '../../client/agent-client';
import { waitFor } from './wait';

/** The bundle under test: integration tests drive the real `berth` binary, as users do. */
export const BERTH = path.resolve(__dirname, '..', '..', 'dist', 'berth.js');

/** A free TCP port on loopback, as the kernel hands it out. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address() as net.AddressInfo;
      server.close(() => resolve(address.port));
    });
  });
}

let nextRange = 0;
/**
 * A distinct SSH port range for each agent a test run starts, so agents of different tests never
 * compete for ports. Spread by process id so that two runs on one machine differ too, and kept below
 * Linux's ephemeral range (32768 and up), where any outgoing connection may hold a port.
 */
export function sshPortRange(size: number): { first: number; last: number } {
  const base = 15000 + (process.pid % 50) * 300 + nextRange;
  nextRange += size;
  return { first: base, last: base + size - 1 };
}

/** Runs the berth CLI to completion. */
export function berth(args: string[], env: NodeJS.ProcessEnv = {}): { code: number; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, [BERTH, ...args], { env: { ...process.env, ...env }, encoding: 'utf8' });
  return { code: result.status ?? -1, stdout: result.stdout, stderr: result.stderr };
}

export interface AgentOptions {
  ports?: { first: number; last: number };
  /** Extra `berth serve` flags. */
  args?: string[];
  stateDir?: string;
  /** Extra environment of the agent process (e.g. PATH with a fake nvidia-smi first). */
  env?: NodeJS.ProcessEnv;
  /** The `berth.js` that serves (another build's: test/support/older-agent.ts); default this tree's. */
  berth?: string;
  /** Flags to node itself, before the script (bench/builds.ts: `--heap-growing-percent=0`). */
  nodeArgs?: string[];
}

/** A `berth serve` process with its own state directory, port and SSH port range. */
export class AgentProcess {
  private child: ChildProcess | null = null;
  /** The clients `connect()` opened, closed by `destroy()`. */
  private readonly clients = new Set<AgentClient>();
  /** Everything the agent wrote to stderr. */
  log = '';

  private constructor(
    readonly stateDir: string,
    readonly port: number,
    readonly ports: { first: number; last: number },
    private extraArgs: string[],
    private readonly env: NodeJS.ProcessEnv = {},
    private readonly berth: string = BERTH,
    private readonly nodeArgs: string[] = [],
  ) {}

  /** Starts an agent and waits until it answers /healthz. */
  static async start(options: AgentOptions = {}): Promise<AgentProcess> {
    const stateDir = options.stateDir ?? (await fs.mkdtemp(path.join(os.tmpdir(), 'berth-test-')));
    const agent = new AgentProcess(
      stateDir,
      await freePort(),
      options.ports ?? sshPortRange(20),
      options.args ?? [],
      options.env,
      options.berth,
      options.nodeArgs,
    );
    await agent.restart();
    return agent;
  }

  get url(): string {
    return `ws://127.0.0.1:${this.port}`;
  }

  /** The agent's process id, while it runs. */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Whether the agent process is still running. */
  get alive(): boolean {
    return this.child !== null && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Starts (again) on the same state directory and port; `args` replace the extra flags given so far. */
  async restart(extraArgs?: string[]): Promise<void> {
    if (extraArgs) this.extraArgs = extraArgs;
    const args = [this.berth, 'serve', '--state-dir', this.stateDir, '--listen', `127.0.0.1:${this.port}`];
    args.push('--ports', `${this.ports.first}-${this.ports.last}`, ...this.extraArgs);
    const child = spawn(process.execPath, [...this.nodeArgs, ...args], {
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { ...process.env, ...this.env },
    });
    this.child = child;
    child.stderr?.on('data', (chunk: Buffer) => (this.log += chunk.toString()));
    await waitFor(`agent on port ${this.port} to answer /healthz`, async () => {
      if (child.exitCode !== null) throw new Error(`the agent exited with ${child.exitCode}:\n${this.log}`);
      const res = await fetch(`http://127.0.0.1:${this.port}/healthz`).catch(() => null);
      return res?.ok ?? false;
    });
  }

  /** Mints a token with the real `berth token create`. */
  token(user: string, admin = false): string {
    const result = berth([
      'token',
      'create',
      '--user',
      user,
      '--state-dir',
      this.stateDir,
      ...(admin ? ['--admin'] : []),
    ]);
    if (result.code !== 0) throw new Error(`token create failed: ${result.stderr}`);
    return result.stdout.trim();
  }

  /** A connected protocol client for `token` (pinging every `keepAliveMs`), closed by `destroy()` if not before. */
  async connect(token: string, keepAliveMs?: number): Promise<AgentClient> {
    const client = await AgentClient.connect(this.url, token, 'berth-tests', keepAliveMs);
    this.clients.add(client);
    return client;
  }

  /** Freezes (SIGSTOP) or thaws (SIGCONT) the agent: a peer that is there but answers nothing. */
  freeze(frozen: boolean): void {
    this.child?.kill(frozen ? 'SIGSTOP' : 'SIGCONT');
  }

  /** SIGKILL, as a crash would. */
  async kill9(): Promise<void> {
    await this.signal('SIGKILL');
  }

  /** Stops the agent; its containers keep running, as they would on a real host. */
  async stop(): Promise<void> {
    await this.signal('SIGTERM');
  }

  /**
   * Closes the clients `connect()` opened, thaws and stops the agent, then removes every container and
   * volume its store knows, and its state directory.
   */
  async destroy(): Promise<void> {
    for (const client of this.clients) client.close();
    this.clients.clear();
    this.freeze(false);
    await this.stop();
    const state = JSON.parse(
      await fs.readFile(path.join(this.stateDir, 'workspaces.json'), 'utf8').catch(() => '{}'),
    ) as {
      workspaces?: { id: string }[];
      keptVolumes?: string[];
    };
    const ids = (state.workspaces ?? []).map((ws) => ws.id);
    if (ids.length) spawnSync('docker', ['rm', '-f', ...ids.map((id) => `berth-${id}`)], { stdio: 'ignore' });
    const volumes = [
      ...ids.flatMap((id) => [`berth-${id}-home`, `berth-${id}-docker`]),
      // A kept home keeps its inner Docker's data (Docker-in-Docker) beside it.
      ...(state.keptVolumes ?? []).flatMap((home) => [home, home.replace(/-home$/, '-docker')]),
    ];
    if (volumes.length) spawnSync('docker', ['volume', 'rm', '-f', ...volumes], { stdio: 'ignore' });
    const agentId = await this.agentId();
    if (agentId) {
      // Named volumes (issue 13) are their owners', kept by the agent: its test removes them with it.
      const filters = ['--filter', `label=dev.berth.agent=${agentId}`, '--filter', 'label=dev.berth.volume'];
      const named = spawnSync('docker', ['volume', 'ls', '-q', ...filters], { encoding: 'utf8' }).stdout.split('\n');
      const listed = named.filter(Boolean);
      if (listed.length) spawnSync('docker', ['volume', 'rm', '-f', ...listed], { stdio: 'ignore' });
      // So are builds no workspace uses yet: tagged `berth-build/<owner>-<hash>:<agent id>`. Left, they
      // would pile up in every later suite's image list on this engine.
      const images = spawnSync('docker', ['images', '--format', '{{.Repository}}:{{.Tag}}', 'berth-build/*'], {
        encoding: 'utf8',
      });
      const builds = images.stdout.split('\n').filter((tag) => tag.endsWith(`:${agentId}`));
      if (builds.length) spawnSync('docker', ['rmi', ...builds], { stdio: 'ignore' });
    }
    await fs.rm(this.stateDir, { recursive: true, force: true });
  }

  /** The agent's id (16 hex digits, written at its first start); null before it has started. */
  async agentId(): Promise<string | null> {
    const id = (await fs.readFile(path.join(this.stateDir, 'agent-id'), 'utf8').catch(() => '')).trim();
    return /^[0-9a-f]{16}$/.test(id) ? id : null;
  }

  private async signal(signal: NodeJS.Signals): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill(signal);
    await exited;
  }
}
