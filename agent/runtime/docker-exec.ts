import { promises as fs } from 'node:fs';
import type { Duplex } from 'node:stream';
import type Docker from 'dockerode';
import { BerthError } from '../../protocol';
import { errorMessage } from '../../util/log';
import { StreamDemuxer } from './demux';
import { statusCode } from './docker-errors';
import type { ExecRequest, ExecSession } from './runtime';

/** How long to wait, at most, between two looks at a command whose output ended but which still runs. */
const EXIT_POLL_MAX_MS = 1000;

/**
 * How long a command whose connection ended may take to show as started, or a killed one to end,
 * before the agent stops waiting for it.
 */
const EXEC_START_WAIT_MS = 30_000;

/**
 * Starts `request` in `container` through Docker's exec API on a hijacked connection: stdin, stdout
 * and stderr travel on one socket (multiplexed with 8-byte frame headers unless there is a TTY).
 */
export async function startExec(container: Docker.Container, request: ExecRequest): Promise<ExecSession> {
  let exec: Docker.Exec;
  let socket: Duplex;
  try {
    exec = await container.exec({
      Cmd: request.tty && request.size ? sized(request.command, request.size) : request.command,
      User: request.user,
      WorkingDir: request.workdir,
      AttachStdin: request.stdin,
      AttachStdout: true,
      AttachStderr: true,
      Tty: request.tty,
      Env: [...(request.tty ? ['TERM=xterm-256color'] : []), ...(request.env ?? [])],
    });
    socket = await exec.start({
      hijack: true,
      stdin: request.stdin,
      Tty: request.tty,
      // Engines from API 1.42 on size the terminal before the command starts.
      ...(request.tty && request.size ? { ConsoleSize: [request.size.rows, request.size.cols] } : {}),
    });
  } catch (err) {
    if (statusCode(err) === 409) throw new BerthError('conflict', 'the workspace is not running; start it first');
    const reason = (err as { json?: { message?: string } }).json?.message ?? errorMessage(err);
    throw new BerthError('runtime_error', `Docker could not start the command: ${reason}`);
  }
  return new DockerExecSession(container, exec, socket, request);
}

class DockerExecSession implements ExecSession {
  private readonly demuxer = new StreamDemuxer();
  private readonly ended: Promise<void>;
  /** When {@link kill} was called (0: not asked to). */
  private killing = 0;

  constructor(
    private readonly container: Docker.Container,
    private readonly exec: Docker.Exec,
    private readonly socket: Duplex,
    private readonly request: ExecRequest,
  ) {
    this.ended = new Promise<void>((resolve) => {
      socket.once('end', resolve);
      socket.once('close', resolve);
      socket.once('error', () => resolve());
    });
    if (!request.stdin) socket.end();
  }

  onOutput(listener: (stream: 'stdout' | 'stderr', data: Buffer) => void): void {
    this.socket.on('data', (chunk: Buffer) => {
      if (this.request.tty) return listener('stdout', chunk);
      for (const part of this.demuxer.push(chunk)) listener(part.stream, part.data);
    });
  }

  pause(): void {
    this.socket.pause();
  }

  resume(): void {
    this.socket.resume();
  }

  write(data: Buffer, written: () => void): void {
    if (this.socket.writable) this.socket.write(data, () => written());
  }

  end(): void {
    if (this.socket.writable) this.socket.end();
  }

  async resize(cols: number, rows: number): Promise<void> {
    if (!this.request.tty) return;
    // A resize racing the command's exit is harmless: there is no terminal left to size.
    await this.exec.resize({ w: cols, h: rows }).catch(() => undefined);
  }

  async exitCode(signal: AbortSignal): Promise<number> {
    await this.ended;
    // The output may end before the process does (it closed its stdout, or is still exiting), and a
    // command killed right after its start may not have started yet: Docker reports no pid and no
    // exit code until it has. A command being killed is signalled again on every look until it ends.
    const startBy = Date.now() + EXEC_START_WAIT_MS;
    for (let wait = 10; ; wait = Math.min(wait * 2, EXIT_POLL_MAX_MS)) {
      const state = await this.exec.inspect().catch((err: unknown) => {
        throw new BerthError('runtime_error', `Docker could not say how the command ended: ${errorMessage(err)}`);
      });
      if (!state.Running) {
        if (state.ExitCode !== null) return state.ExitCode;
        if (Date.now() > startBy) return -1;
      } else if (this.killing) {
        if (Date.now() > this.killing + EXEC_START_WAIT_MS) return -1;
        await this.signal(state.Pid);
      } else if (signal.aborted) {
        return -1;
      }
      await new Promise((resolve) => setTimeout(resolve, wait));
    }
  }

  /**
   * Kills the command and its process group. Docker has no API for it: the agent signals the host
   * pid Docker reports, or, where it may not (an agent that is not root), runs `kill` as root inside
   * the container with the pid the container sees. A command not started yet is killed by
   * {@link exitCode} once Docker reports its pid.
   */
  async kill(): Promise<void> {
    this.killing = Date.now();
    this.socket.destroy();
    const state = await this.exec.inspect().catch(() => null);
    if (state?.Running) await this.signal(state.Pid);
  }

  private async signal(pid: number): Promise<void> {
    if (!pid) return;
    let denied = false;
    for (const target of [-pid, pid]) {
      try {
        process.kill(target, 'SIGKILL');
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'EPERM') denied = true;
      }
    }
    if (!denied) return;
    const inner = await namespacePid(pid);
    if (inner === null) return;
    const killer = await this.container.exec({ Cmd: ['kill', '-KILL', String(inner)], User: 'root' });
    await killer.start({ Detach: true }).catch(() => undefined);
  }
}

/**
 * `command` started with its terminal already at `size`: a resize through the API can only come
 * after the command has started (and read the size), and engines before API 1.42 take no size with
 * the start. The POSIX shell and stty of the image set it first; without stty the command still runs.
 */
function sized(command: string[], size: { cols: number; rows: number }): string[] {
  const script = 'stty rows "$0" cols "$1" 2>/dev/null; shift; exec "$@"';
  return ['/bin/sh', '-c', script, String(size.rows), String(size.cols), ...command];
}

/** The pid that process `pid` has in its own pid namespace (the last of its NSpid line). */
async function namespacePid(pid: number): Promise<number | null> {
  const status = await fs.readFile(`/proc/${pid}/status`, 'utf8').catch(() => '');
  const line = /^NSpid:\s*(.+)$/m.exec(status);
  const last = line?.[1]?.trim().split(/\s+/).pop();
  return last ? Number(last) : null;
}
