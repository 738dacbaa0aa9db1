import * as assert from 'node:assert/strict';
import { execFile, execFileSync, spawn } from 'node:child_process';
import { promises as fs, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import WebSocket from 'ws';
import { PROTOCOL_VERSION, Reply, type ErrorCode, type RequestId } from '../../protocol';
import { BERTH, berth, type AgentProcess } from '../support/agent-process';
import { waitFor } from '../support/wait';

const run = promisify(execFile);

/** Small limits for the workspaces of these suites: many fit on a two-core machine. */
export const SMALL = { cpus: 0.25, memory: 128 * 1024 ** 2 } as const;

/** Label on every helper container these suites run, so that none outlives a run unnoticed. */
export const HELPER_LABEL = 'dev.berth.adversarial=helper';

/**
 * A seeded pseudo-random generator (mulberry32): the same seed gives the same sequence, so a failing
 * run is replayed with BERTH_ADVERSARIAL_SEED=<seed>.
 */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The seed of this run: BERTH_ADVERSARIAL_SEED when set, else a fresh one. */
export function runSeed(): number {
  const given = Number(process.env.BERTH_ADVERSARIAL_SEED);
  return Number.isInteger(given) && given > 0 ? given : Math.floor(Math.random() * 2 ** 31) + 1;
}

/** Prints figures as one compact two-column table. */
export function printFigures(title: string, rows: [string, string | number][]): void {
  const width = Math.max(...rows.map(([name]) => name.length));
  console.log(`\n      ${title}`);
  for (const [name, value] of rows) console.log(`        ${name.padEnd(width)}  ${value}`);
}

/** The `p`-th percentile (0–100) of `values`, nearest rank. */
export function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  if (!sorted.length) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

/** Runs the docker CLI without blocking this process (an agent may be talking to a proxy in it). */
export async function dockerAsync(...args: string[]): Promise<string> {
  const { stdout } = await run('docker', args, { maxBuffer: 64 * 1024 * 1024 });
  return stdout.trim();
}

/** Like {@link dockerAsync}, but null instead of throwing when docker fails. */
export async function dockerMaybe(...args: string[]): Promise<string | null> {
  return dockerAsync(...args).catch(() => null);
}

/** The id an agent labels its Docker objects with (its state directory's `agent-id`). */
export function agentIdOf(agent: AgentProcess): string {
  return readFileSync(path.join(agent.stateDir, 'agent-id'), 'utf8').trim();
}

/** Containers (by name) and volumes that carry the label of agent `id`. */
export async function objectsOf(id: string): Promise<{ containers: string[]; volumes: string[] }> {
  const filter = `label=dev.berth.agent=${id}`;
  const lines = (text: string) => text.split('\n').filter(Boolean);
  const [containers, volumes] = await Promise.all([
    dockerAsync('ps', '-a', '--filter', filter, '--format', '{{.Names}}'),
    dockerAsync('volume', 'ls', '-q', '--filter', filter),
  ]);
  return { containers: lines(containers), volumes: lines(volumes) };
}

/** What the store file says (read from disk, as a restarted agent would). */
export function storeOf(agent: AgentProcess): {
  workspaces: { id: string; name: string; owner: string; state: string; port: number; assignedGpus?: string[] }[];
  keptVolumes: string[];
} {
  const raw = JSON.parse(readFileSync(path.join(agent.stateDir, 'workspaces.json'), 'utf8')) as {
    workspaces?: { id: string; name: string; owner: string; state: string; port: number }[];
    keptVolumes?: string[];
  };
  return { workspaces: raw.workspaces ?? [], keptVolumes: raw.keptVolumes ?? [] };
}

/**
 * Removes everything an agent made: every container and volume with its label, the containers and
 * home volumes of `ids` (a start may recreate a volume without labels), then its state directory.
 * `beforeRemove` runs once the agent has stopped and what to remove is known (to unmount, say).
 */
export async function destroyAgent(
  agent: AgentProcess | undefined,
  ids: Iterable<string> = [],
  beforeRemove?: () => Promise<void>,
): Promise<void> {
  if (!agent) return;
  // An agent that does not exit on SIGTERM (a failure its suite reports) is killed, not waited for.
  const stopping = agent.stop();
  await waitFor('the agent to exit', () => !agent.alive, 30_000).catch(() => agent.kill9());
  await stopping;
  const known = new Set(ids);
  try {
    for (const record of storeOf(agent).workspaces) known.add(record.id);
  } catch {
    // No readable store: the labels below still find what it made.
  }
  let labelled = { containers: [] as string[], volumes: [] as string[] };
  try {
    labelled = await objectsOf(agentIdOf(agent));
  } catch {
    // No agent-id: only the known ids are left to clean.
  }
  await beforeRemove?.();
  const containers = [...labelled.containers, ...[...known].map((id) => `berth-${id}`)];
  if (containers.length) await dockerMaybe('rm', '-f', ...new Set(containers));
  const volumes = [...labelled.volumes, ...[...known].map((id) => `berth-${id}-home`)];
  if (volumes.length) await dockerMaybe('volume', 'rm', '-f', ...new Set(volumes));
  await agent.destroy();
}

/** Whether the agent process runs and answers /healthz. */
export async function answersHealthz(agent: AgentProcess): Promise<boolean> {
  if (!agent.alive) return false;
  const res = await fetch(`http://127.0.0.1:${agent.port}/healthz`).catch(() => null);
  return res?.ok ?? false;
}

/** Fails unless the agent is alive and answers /healthz. */
export async function assertUp(agent: AgentProcess): Promise<void> {
  assert.ok(agent.alive, `the agent process died; its log ends:\n${agent.log.slice(-2000)}`);
  assert.ok(await answersHealthz(agent), 'the agent does not answer /healthz');
}

/** How a start of `berth serve` went: refused (it exited, saying why), or serving until `stop()`. */
export type StartOutcome =
  { refused: true; code: number | null; stderr: string } | { refused: false; stop(): Promise<void> };

/**
 * Starts `berth serve` once on `agent`'s state directory, port and SSH ports (the agent itself must
 * be stopped), and tells at once whether it refused to start or serves: a refusal is seen when the
 * process exits, not after a deadline.
 */
export async function startOnce(agent: AgentProcess): Promise<StartOutcome> {
  const args = [BERTH, 'serve', '--state-dir', agent.stateDir, '--listen', `127.0.0.1:${agent.port}`];
  const child = spawn(process.execPath, [...args, '--ports', `${agent.ports.first}-${agent.ports.last}`], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return waitFor(`berth serve on ${agent.stateDir} to refuse or to serve`, async (): Promise<StartOutcome | null> => {
    if (child.exitCode !== null || child.signalCode !== null) {
      await exited;
      return { refused: true, code: child.exitCode, stderr };
    }
    const res = await fetch(`http://127.0.0.1:${agent.port}/healthz`).catch(() => null);
    if (!res?.ok) return null;
    return {
      refused: false,
      stop: async () => {
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
        await exited;
      },
    };
  });
}

/** A token minted with the real CLI, and its id. */
export function mint(agent: AgentProcess, user: string, admin = false): { token: string; id: string } {
  const args = ['token', 'create', '--user', user, '--state-dir', agent.stateDir, '--json'];
  const result = berth([...args, ...(admin ? ['--admin'] : [])]);
  if (result.code !== 0) throw new Error(`token create --user ${user} failed: ${result.stderr}`);
  return JSON.parse(result.stdout) as { token: string; id: string };
}

/** The pid of the `berth serve` running on `agent`'s state directory (found in /proc). */
export function agentPid(agent: AgentProcess): number {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let args: string[];
    try {
      args = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
    } catch {
      continue;
    }
    if (args.includes('serve') && args.includes(agent.stateDir)) return Number(entry);
  }
  throw new Error(`no berth serve process for ${agent.stateDir}`);
}

/** Resident memory of a process, in bytes. */
export function rssBytes(pid: number): number {
  const match = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return match ? Number(match[1]) * 1024 : NaN;
}

/** Open descriptors of a process. */
export function fdCount(pid: number): number {
  return readdirSync(`/proc/${pid}/fd`).length;
}

/** A mebibyte, and bytes written in them. */
export const MiB = 1024 ** 2;
/** Bytes as MiB with one decimal. */
export const mib = (bytes: number): string => `${(bytes / MiB).toFixed(1)} MiB`;

/** The file the suites leave in a workspace's home to check that no home file is lost. */
export const MARKER = '.berth-adversarial-marker';

/** Writes the marker file `content` into the home volume `volume` (which must exist). */
export async function writeMarker(volume: string, content: string): Promise<void> {
  await dockerAsync(
    ...['run', '--rm', '--label', HELPER_LABEL, '--network', 'none', '-v', `${volume}:/h`, '--entrypoint', 'sh'],
    ...['berth-workspace:latest', '-c', `printf %s '${content}' > /h/${MARKER} && sync`],
  );
}

/**
 * The marker file of each home volume (null: the volume or its marker is missing). One helper
 * container mounts them all; volumes that do not exist are never mounted (that would create them).
 */
export async function readMarkers(volumes: readonly string[]): Promise<Map<string, string | null>> {
  const found = new Map<string, string | null>(volumes.map((volume) => [volume, null]));
  const present = (await dockerAsync('volume', 'ls', '-q')).split('\n');
  const existing = volumes.filter((volume) => present.includes(volume));
  if (!existing.length) return found;
  const mounts = existing.flatMap((volume, i) => ['-v', `${volume}:/h/${i}`]);
  const script = existing.map((_, i) => `printf '%s\\t' ${i}; cat /h/${i}/${MARKER} 2>/dev/null; echo`).join('; ');
  const out = await dockerAsync(
    ...['run', '--rm', '--label', HELPER_LABEL, '--network', 'none', ...mounts, '--entrypoint', 'sh'],
    ...['berth-workspace:latest', '-c', script],
  );
  for (const line of out.split('\n')) {
    const [index, content = ''] = line.split('\t');
    const volume = existing[Number(index)];
    if (volume !== undefined && content) found.set(volume, content);
  }
  return found;
}

let keyDir: string | null = null;
let keyCount = 0;

/** A fresh OpenSSH public key line, made with the stock ssh-keygen (the files go at exit). */
export function freshPublicKey(): string {
  if (!keyDir) {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'berth-adversarial-keys-'));
    keyDir = dir;
    process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  }
  const file = path.join(keyDir, `id_${keyCount++}`);
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'berth-adversarial', '-f', file]);
  return readFileSync(`${file}.pub`, 'utf8');
}

/** A frame as the agent sent it: parsed JSON, or the raw text of one that was not JSON. */
export type Frame = Record<string, unknown>;

/**
 * A WebSocket spoken by hand: sends text, JSON or binary frames exactly as given, keeps every frame
 * that comes back, and notices when the agent closes the connection (so a wait for a reply ends at
 * once when the agent dies or hangs up, instead of at its deadline).
 */
export class Wire {
  readonly frames: Frame[] = [];
  closeInfo: { code: number; reason: string } | null = null;
  private nextId = 1_000_000;

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data: Buffer) => {
      const text = data.toString('utf8');
      try {
        this.frames.push(JSON.parse(text) as Frame);
      } catch {
        this.frames.push({ unparsed: text });
      }
    });
    ws.on('close', (code, reason) => (this.closeInfo = { code, reason: reason.toString() }));
    ws.on('error', () => undefined);
  }

  /** Opens an authenticated connection without shaking hands. */
  static open(url: string, token: string): Promise<Wire> {
    const ws = new WebSocket(url, { headers: { Authorization: `Bearer ${token}` }, maxPayload: 64 * MiB });
    return new Promise((resolve, reject) => {
      ws.once('open', () => resolve(new Wire(ws)));
      ws.once('error', reject);
    });
  }

  /** Opens a connection and completes the handshake. */
  static async greeted(url: string, token: string): Promise<Wire> {
    const wire = await Wire.open(url, token);
    wire.send({ hello: { protocol: PROTOCOL_VERSION, client: 'berth-adversarial' } });
    await wire.next('the welcome', (frame) => 'welcome' in frame);
    return wire;
  }

  /** Sends text as it is, a Buffer as a binary frame, anything else as JSON text. */
  send(frame: unknown): void {
    if (Buffer.isBuffer(frame)) this.ws.send(frame, { binary: true });
    else this.ws.send(typeof frame === 'string' ? frame : JSON.stringify(frame));
  }

  /** Takes the first frame `match` accepts, failing at once if the connection closes first. */
  next(what: string, match: (frame: Frame) => boolean, timeoutMs = 15_000): Promise<Frame> {
    return waitFor(
      what,
      () => {
        const index = this.frames.findIndex(match);
        if (index >= 0) return this.frames.splice(index, 1)[0];
        if (this.closeInfo) {
          throw new Error(`the connection closed (${this.closeInfo.code} ${this.closeInfo.reason}) before ${what}`);
        }
        return null;
      },
      timeoutMs,
      5,
    ).catch((err: Error) => {
      // A closed connection is final: say so rather than "timed out".
      if (this.closeInfo) {
        throw new Error(`the connection closed (${this.closeInfo.code} ${this.closeInfo.reason}) before ${what}`);
      }
      throw err;
    });
  }

  /** The reply to request `id` (null: to a frame that could not be read), checked against the protocol's shape. */
  async reply(id: RequestId | null, timeoutMs?: number): Promise<Reply> {
    const frame = await this.next(
      `the reply to request ${JSON.stringify(id)}`,
      (f) => 'id' in f && f.id === id,
      timeoutMs,
    );
    return Reply.parse(frame);
  }

  /** How many frames received so far (and not yet taken) answer request `id`. */
  pendingReplies(id: RequestId | null): number {
    return this.frames.filter((frame) => 'id' in frame && frame.id === id).length;
  }

  /** Sends a request with a fresh id and returns its reply. */
  async request(method: string, params: unknown): Promise<Reply> {
    const id = this.nextId++;
    this.send({ id, method, params });
    return this.reply(id);
  }

  /** Resolves with the close code and reason once the agent has closed the connection. */
  closed(timeoutMs = 15_000): Promise<{ code: number; reason: string }> {
    return waitFor('the agent to close the connection', () => this.closeInfo, timeoutMs, 5);
  }

  close(): void {
    this.ws.terminate();
  }
}

/** The longest error message that still reads as one clear line (no echo of a megabyte of input). */
export const MAX_MESSAGE = 2_000;

/** Asserts that `reply` is an error with one of `codes` and a clear message; returns the message. */
export function errorOf(reply: Reply, codes: readonly ErrorCode[], mention?: RegExp): string {
  assert.ok('error' in reply, `expected an error (${codes.join(' or ')}), got ${JSON.stringify(reply).slice(0, 500)}`);
  assert.ok(
    codes.includes(reply.error.code),
    `expected ${codes.join(' or ')}, got ${reply.error.code}: ${reply.error.message.slice(0, 500)}`,
  );
  assert.ok(reply.error.message.trim().length > 0, 'the error has a message');
  assert.ok(
    reply.error.message.length <= MAX_MESSAGE,
    `the message is ${reply.error.message.length} characters long: ${reply.error.message.slice(0, 200)}…`,
  );
  if (mention) assert.match(reply.error.message, mention);
  return reply.error.message;
}

/** A file in the agent's state directory. */
export const stateFile = (agent: AgentProcess, name: string): string => path.join(agent.stateDir, name);

/** Reads a file, or null when it is missing. */
export async function readOrNull(file: string): Promise<Buffer | null> {
  return fs.readFile(file).catch(() => null);
}
