import { BerthError, type Params, type Result } from '../../protocol';
import type { User } from '../users';
import type { ExecSession, Runtime } from '../runtime/runtime';
import type { WorkspaceService } from '../workspaces/service';
import { MAX_EXECS_PER_CONNECTION, MAX_EXECS_PER_USER, Tally } from './limits';
import { pumpOutput, StdinRelay, type StreamContext } from './byte-stream';
import type { SecretStager } from '../secrets/stage';

/** What of its request's context a command needs (agent/server/handlers.ts HandlerContext has it). */
interface ExecContext extends StreamContext {
  user: User;
  connectionId: number;
  signal?: AbortSignal | undefined;
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

  pumpOutput(session, ctx, requestId);

  try {
    const exitCode = await session.exitCode(signal);
    if (stdinRelay.failure) throw stdinRelay.failure;
    if (signal.aborted) throw new BerthError('cancelled', 'the command was cancelled and killed');
    return exitCode;
  } finally {
    signal.removeEventListener('abort', kill);
  }
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
