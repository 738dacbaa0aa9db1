import {
  BerthError,
  EXEC_CHUNK_BYTES,
  EXEC_STDIN_WINDOW,
  type EventData,
  type ExecInput,
  type ExecResize,
  type Params,
  type RequestId,
  type Result,
} from '../../protocol';
import type { User } from '../users';
import type { ExecSession, Runtime } from '../runtime/runtime';
import type { WorkspaceService } from '../workspaces/service';
import { EXEC_OUTPUT_WINDOW, MAX_EXECS_PER_CONNECTION, MAX_EXECS_PER_USER, Tally } from './limits';
import type { SecretStager } from '../secrets/stage';

/** What of its request's context a command needs (agent/server/handlers.ts HandlerContext has it). */
interface ExecContext {
  user: User;
  connectionId: number;
  requestId: RequestId | null;
  signal?: AbortSignal | undefined;
  sendEvent<E extends 'workspace.exec.output' | 'workspace.exec.stdin'>(
    event: E,
    data: EventData<E>,
    onSent?: () => void,
  ): void;
  onInput(listener: (frame: ExecInput | ExecResize) => void): void;
}

/**
 * `workspace.exec`: the command runs in the workspace's container as the workspace's user, in its
 * home, with the container's environment. Output streams to the requesting connection with flow
 * control both ways (see protocol/exec.ts); a cancel or a dropped connection kills the command.
 */
export function execHandlers({
  service,
  runtime,
  secrets,
}: {
  service: WorkspaceService;
  runtime: Runtime;
  secrets?: SecretStager | undefined;
}): {
  'workspace.exec': (params: Params<'workspace.exec'>, ctx: ExecContext) => Promise<Result<'workspace.exec'>>;
} {
  const slots = execSlots();
  return {
    'workspace.exec': async ({ command, tty, stdin, size, ...ref }, ctx) => {
      const record = service.resolve(ctx.user, ref);
      if (record.state !== 'running') {
        throw new BerthError(
          'conflict',
          `"${record.name}" is ${record.state}; start it first (commands run only in a running workspace)`,
        );
      }
      const release = slots(ctx);
      // Stdin may come before Docker has started the command: the relay holds it (within the window).
      const stdinRelay = new StdinRelay(ctx);
      try {
        const user = record.spec.user;
        const session = await runtime.exec(record.id, {
          command,
          user,
          workdir: `/home/${user}`,
          tty,
          stdin,
          size,
          // The env targets of its secrets as given at the workspace's start (not Docker's container env).
          env: record.spec.secrets?.length ? await secrets?.execEnv(record.id) : [],
        });
        stdinRelay.attach(session);
        return { exitCode: await run(session, ctx, stdinRelay) };
      } finally {
        release();
      }
    },
  };
}

/** Wires a started command to its request until it exits; kills it on cancel. */
async function run(session: ExecSession, ctx: ExecContext, stdinRelay: StdinRelay): Promise<number> {
  const requestId = ctx.requestId;
  if (requestId === null) throw new BerthError('internal', 'a command needs a request to stream to');
  const signal = ctx.signal ?? new AbortController().signal;
  const kill = () => void session.kill();
  signal.addEventListener('abort', kill, { once: true });
  stdinRelay.onFailure = kill;
  // A cancel, or stdin beyond the window, may have come while Docker was still starting the command.
  if (signal.aborted || stdinRelay.failure) kill();

  let unsent = 0;
  let paused = false;
  session.onOutput((stream, data) => {
    for (let at = 0; at < data.length; at += EXEC_CHUNK_BYTES) {
      const chunk = data.subarray(at, at + EXEC_CHUNK_BYTES);
      unsent += chunk.length;
      ctx.sendEvent('workspace.exec.output', { requestId, stream, data: chunk.toString('base64') }, () => {
        unsent -= chunk.length;
        if (paused && unsent <= EXEC_OUTPUT_WINDOW / 2) {
          paused = false;
          session.resume();
        }
      });
    }
    if (!paused && unsent > EXEC_OUTPUT_WINDOW) {
      paused = true;
      session.pause();
    }
  });

  try {
    const exitCode = await session.exitCode(signal);
    if (stdinRelay.failure) throw stdinRelay.failure;
    if (signal.aborted) throw new BerthError('cancelled', 'the command was cancelled and killed');
    return exitCode;
  } finally {
    signal.removeEventListener('abort', kill);
  }
}

/**
 * The request's stdin and resize frames, from the moment the request is read: held until the command
 * has started, then written to it. Holds at most {@link EXEC_STDIN_WINDOW} bytes not yet written
 * (a client that sends more without waiting for acknowledgements fails the command).
 */
class StdinRelay {
  private session: ExecSession | null = null;
  private held: Held[] = [];
  private received = 0;
  private written = 0;
  private resizing: Promise<void> = Promise.resolve();
  failure: BerthError | null = null;
  onFailure: () => void = () => undefined;

  constructor(private readonly ctx: ExecContext) {
    ctx.onInput((frame) => {
      if (this.failure) return;
      const held: Held =
        'resize' in frame
          ? { size: frame.size }
          : { ...(frame.data ? { bytes: Buffer.from(frame.data, 'base64') } : {}), eof: frame.eof === true };
      this.received += held.bytes?.length ?? 0;
      if (this.received - this.written > EXEC_STDIN_WINDOW) {
        this.failure = new BerthError(
          'invalid_params',
          `stdin came ${this.received - this.written} bytes ahead of what the agent had written (at most ${EXEC_STDIN_WINDOW}); wait for workspace.exec.stdin before sending more`,
        );
        this.held = [];
        return this.onFailure();
      }
      if (this.session) this.deliver(this.session, held);
      else this.held.push(held);
    });
  }

  attach(session: ExecSession): void {
    this.session = session;
    for (const held of this.held) this.deliver(session, held);
    this.held = [];
  }

  private deliver(session: ExecSession, held: Held): void {
    // A resize is an API call of its own: what follows it waits for it, so the command sees the
    // frames in the order the client sent them.
    this.resizing = this.resizing.then(() => this.write(session, held));
  }

  private async write(session: ExecSession, { bytes, eof, size }: Held): Promise<void> {
    if (size) return session.resize(size.cols, size.rows);
    if (bytes) {
      session.write(bytes, () => {
        this.written += bytes.length;
        this.ctx.sendEvent('workspace.exec.stdin', { requestId: this.ctx.requestId ?? 0, bytes: this.written });
      });
    }
    if (eof) session.end();
  }
}

/** A stdin or resize frame as the relay keeps it. */
interface Held {
  bytes?: Buffer;
  eof?: boolean;
  size?: { cols: number; rows: number };
}

/** Takes a command slot for the caller, or refuses with `no_capacity` at its connection's or user's cap. */
function execSlots(): (ctx: ExecContext) => () => void {
  const perConnection = new Tally<number>(MAX_EXECS_PER_CONNECTION);
  const perUser = new Tally<string>(MAX_EXECS_PER_USER);
  return ({ connectionId, user }) => {
    if (perConnection.full(connectionId)) {
      throw new BerthError(
        'no_capacity',
        `this connection runs ${perConnection.max} commands already, the most allowed; wait for one to end`,
      );
    }
    if (perUser.full(user.name)) {
      throw new BerthError(
        'no_capacity',
        `${user.name} runs ${perUser.max} commands already (all connections together), the most allowed; wait for one to end`,
      );
    }
    const releaseConnection = perConnection.take(connectionId);
    const releaseUser = perUser.take(user.name);
    return () => {
      releaseConnection();
      releaseUser();
    };
  };
}
