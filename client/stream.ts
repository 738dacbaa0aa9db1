import type { Readable, Writable } from 'node:stream';
import {
  EXEC_CHUNK_BYTES,
  EXEC_STDIN_WINDOW,
  type EventData,
  type MethodName,
  type ParamsInput,
  type Result,
} from '../protocol';
import type { AgentClient } from './agent-client';

/** The largest chunk of binary input: a quarter of the window, so that four are on their way at once. */
const BINARY_CHUNK_BYTES = EXEC_STDIN_WINDOW / 4;

/** Where a streaming request's bytes go and come from. */
export interface StreamIo {
  stdout: Writable;
  stderr: Writable;
  /** Sent as the request's input (its end too); null: none. */
  stdin: Readable | null;
  /**
   * Send the input as binary frames (`workspace.restore`, whose agent takes them) instead of base64
   * in JSON: no base64 on either end, and nothing of the bytes in V8's heap. Only to an agent whose
   * welcome names `binary-input` (protocol/version.ts); an older one gets base64.
   */
  binaryInput?: boolean;
  /** Aborting sends the request's cancel. */
  signal?: AbortSignal | undefined;
  /** Called with the request's id as it is sent. */
  onSent?: (id: number) => void;
  /** The request's own progress events. */
  onProgress?: (progress: EventData<'workspace.progress'>) => void;
}

/**
 * Runs a request that streams bytes with exec's frames (`workspace.exec`, `workspace.backup`,
 * `workspace.restore`; protocol/exec.ts), with flow control both ways: input is read only as fast as
 * the agent takes it (at most {@link EXEC_STDIN_WINDOW} ahead of its acknowledgements), and output
 * that `stdout`/`stderr` cannot take yet pauses reading from the agent, which then stops producing it.
 * Output comes as `workspace.exec.output` events or as binary frames (a backup's file), both taken.
 */
export async function streamRequest<M extends MethodName>(
  client: AgentClient,
  method: M,
  params: ParamsInput<M>,
  io: StreamIo,
): Promise<Result<M>> {
  let id: number | null = null;
  let sent = 0;
  let acked = 0;
  let blocked = 0;
  const stdin = io.stdin;
  // An agent from before binary input answers such frames with an error: it gets base64.
  const binary = io.binaryInput === true && (client.welcome.features ?? []).includes('binary-input');
  const chunkBytes = binary ? BINARY_CHUNK_BYTES : EXEC_CHUNK_BYTES;

  // Parts read but not yet sent: a read may bring more than the window has room for.
  const queued: Buffer[] = [];
  let ended = false;
  const flush = () => {
    if (id === null) return;
    for (let part = queued[0]; part && sent - acked + part.length <= EXEC_STDIN_WINDOW; part = queued[0]) {
      queued.shift();
      if (binary) client.sendBytes(id, part);
      else client.sendInput(id, part);
      sent += part.length;
    }
    if (ended && !queued.length) {
      client.sendInput(id, null, true);
      ended = false;
    }
  };
  const onData = (chunk: Buffer) => {
    for (let at = 0; at < chunk.length; at += chunkBytes) queued.push(chunk.subarray(at, at + chunkBytes));
    flush();
    if (queued.length || sent - acked > EXEC_STDIN_WINDOW - chunkBytes) stdin?.pause();
  };
  const onEnd = () => {
    ended = true;
    flush();
  };

  const write = (target: Writable, data: Buffer) => {
    if (target.write(data)) return;
    if (blocked++ === 0) client.pauseReading();
    target.once('drain', () => {
      if (--blocked === 0) client.resumeReading();
    });
  };

  try {
    return await client.request(method, params, {
      ...(io.signal ? { signal: io.signal } : {}),
      ...(io.onProgress ? { onProgress: io.onProgress } : {}),
      onSent: (requestId) => {
        id = requestId;
        io.onSent?.(requestId);
        if (!stdin) return;
        stdin.on('data', onData);
        stdin.once('end', onEnd);
        stdin.resume();
      },
      onBytes: (bytes) => write(io.stdout, bytes),
      onExec: (event) => {
        if (event.event === 'workspace.exec.stdin') {
          acked = event.data.bytes;
          flush();
          if (!queued.length && sent - acked <= EXEC_STDIN_WINDOW / 2) stdin?.resume();
          return;
        }
        write(event.data.stream === 'stderr' ? io.stderr : io.stdout, Buffer.from(event.data.data, 'base64'));
      },
    });
  } finally {
    stdin?.off('data', onData);
    stdin?.off('end', onEnd);
    stdin?.pause();
    if (blocked > 0) client.resumeReading();
  }
}
