import type { Readable, Writable } from 'node:stream';
import { BerthError, EXEC_CHUNK_BYTES, EXEC_STDIN_WINDOW, type TerminalSize, type WorkspaceRef } from '../protocol';
import type { AgentClient } from './agent-client';

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
 * exit code. Flow control holds both ways: stdin is read only as fast as the agent writes it to the
 * command (at most {@link EXEC_STDIN_WINDOW} ahead), and output that `stdout`/`stderr` cannot take
 * yet pauses reading from the agent, which then stops reading the command's output.
 */
export async function execInWorkspace(
  client: AgentClient,
  ref: WorkspaceRef,
  command: string[],
  io: ExecIo,
): Promise<number> {
  let id: number | null = null;
  let sent = 0;
  let acked = 0;
  let blocked = 0;
  const stdin = io.stdin;

  const onData = (chunk: Buffer) => {
    if (id === null) return;
    for (let at = 0; at < chunk.length; at += EXEC_CHUNK_BYTES) {
      const part = chunk.subarray(at, at + EXEC_CHUNK_BYTES);
      client.sendInput(id, part);
      sent += part.length;
    }
    if (sent - acked > EXEC_STDIN_WINDOW - EXEC_CHUNK_BYTES) stdin?.pause();
  };
  const onEnd = () => {
    if (id !== null) client.sendInput(id, null, true);
  };

  const write = (target: Writable, data: Buffer) => {
    if (target.write(data)) return;
    if (blocked++ === 0) client.pauseReading();
    target.once('drain', () => {
      if (--blocked === 0) client.resumeReading();
    });
  };

  try {
    const { exitCode } = await client.request(
      'workspace.exec',
      {
        ...ref,
        command,
        tty: io.tty !== undefined,
        stdin: stdin !== null,
        ...(io.tty ? { size: io.tty } : {}),
      },
      {
        ...(io.signal ? { signal: io.signal } : {}),
        onSent: (requestId) => {
          id = requestId;
          io.onResizer?.((size) => client.resize(requestId, size));
          if (!stdin) return;
          stdin.on('data', onData);
          stdin.once('end', onEnd);
          stdin.resume();
        },
        onExec: (event) => {
          if (event.event === 'workspace.exec.stdin') {
            acked = event.data.bytes;
            if (sent - acked <= EXEC_STDIN_WINDOW / 2) stdin?.resume();
            return;
          }
          write(event.data.stream === 'stderr' ? io.stderr : io.stdout, Buffer.from(event.data.data, 'base64'));
        },
      },
    );
    return exitCode;
  } catch (err) {
    if (io.signal?.aborted && !(err instanceof BerthError && err.code !== 'cancelled')) {
      throw new BerthError('cancelled', 'the command was cancelled and killed');
    }
    throw err;
  } finally {
    stdin?.off('data', onData);
    stdin?.off('end', onEnd);
    stdin?.pause();
    if (blocked > 0) client.resumeReading();
  }
}
