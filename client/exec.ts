import type { Readable, Writable } from 'node:stream';
import { BerthError, type TerminalSize, type WorkspaceRef } from '../protocol';
import type { AgentClient } from './agent-client';
import { streamRequest } from './stream';

/** Where a command's streams go, and what drives it. */
export interface ExecIo {
  stdout: Writable;
  stderr: Writable;
  /** Forwarded to the command's stdin (its end too); null: the command's stdin is at end of file. */
  stdin: Readable | null;
  /** A pseudo-terminal of this size (output is then one stream, on `stdout`). */
  tty?: TerminalSize | undefined;
  /** Aborting kills the command; the call then rejects with `cancelled`. */
  signal?: AbortSignal | undefined;
  /** Called with a function that tells the agent the terminal's new size. */
  onResizer?: (resize: (size: TerminalSize) => void) => void;
}

/**
 * Runs `command` in a running workspace through the agent (`workspace.exec`) and resolves with its
 * exit code. Flow control holds both ways (see {@link streamRequest}): stdin is read only as fast as
 * the agent writes it to the command, and output that `stdout`/`stderr` cannot take yet pauses
 * reading from the agent, which then stops reading the command's output.
 */
export async function execInWorkspace(
  client: AgentClient,
  ref: WorkspaceRef,
  command: string[],
  io: ExecIo,
): Promise<number> {
  try {
    const { exitCode } = await streamRequest(
      client,
      'workspace.exec',
      {
        ...ref,
        command,
        tty: io.tty !== undefined,
        stdin: io.stdin !== null,
        ...(io.tty ? { size: io.tty } : {}),
      },
      {
        stdout: io.stdout,
        stderr: io.stderr,
        stdin: io.stdin,
        signal: io.signal,
        onSent: (requestId) => io.onResizer?.((size) => client.resize(requestId, size)),
      },
    );
    return exitCode;
  } catch (err) {
    if (io.signal?.aborted && !(err instanceof BerthError && err.code !== 'cancelled')) {
      throw new BerthError('cancelled', 'the command was cancelled and killed');
    }
    throw err;
  }
}
