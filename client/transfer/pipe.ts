import { PassThrough, Writable } from 'node:stream';
import type { EventData, Workspace } from '../../protocol';
import type { AgentClient } from '../agent-client';
import { streamRequest } from '../stream';

/** How {@link pipeBackup} runs. */
export interface PipeOptions {
  /** Aborting cancels both requests. */
  signal: AbortSignal;
  /** Both agents' progress events of these requests. */
  onProgress: (progress: EventData<'workspace.progress'>) => void;
  /** Called with each chunk's size as it passes from the source to the target. */
  onBytes: (n: number) => void;
  /** Where the agents' own output goes. */
  output: Writable;
}

/**
 * Streams the stopped source's backup (`workspace.backup`) into a size-less `workspace.restore` on
 * the target, both requests at once, through this process and without a file; either failing
 * cancels the other, and the target's refusal (a checksum, the disk) is what is thrown. Resolves
 * with the restored workspace (running) once the target has it whole.
 */
export async function pipeBackup(
  source: AgentClient,
  target: AgentClient,
  ref: { name: string; owner?: string },
  options: PipeOptions,
): Promise<Workspace> {
  const pipe = new PassThrough({ highWaterMark: 1024 * 1024 });
  pipe.pause();
  const stopBackup = new AbortController();
  const stopRestore = new AbortController();
  const abort = () => (stopBackup.abort(), stopRestore.abort());
  if (options.signal.aborted) abort();
  options.signal.addEventListener('abort', abort, { once: true });
  // Once the restore has ended (refused, cancelled, its agent gone), nothing reads the pipe any
  // more: what the backup still sends is dropped, so that reading from the source goes on and its
  // reply (the cancel's) arrives.
  let dropping = false;
  let held: (() => void) | null = null;
  const release = () => {
    const callback = held;
    held = null;
    callback?.();
  };
  const counted = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      if (dropping) return callback();
      options.onBytes(chunk.length);
      if (pipe.write(chunk)) return callback();
      held = callback;
      pipe.once('drain', release);
    },
  });
  const drop = () => {
    dropping = true;
    release();
  };
  const restoring = streamRequest(
    target,
    'workspace.restore',
    { name: ref.name },
    {
      stdout: options.output,
      stderr: options.output,
      stdin: pipe,
      binaryInput: true,
      signal: stopRestore.signal,
      onProgress: options.onProgress,
    },
  );
  let refused: unknown = null;
  restoring.then(drop, (err: unknown) => {
    refused = err;
    drop();
    stopBackup.abort();
  });
  try {
    await streamRequest(
      source,
      'workspace.backup',
      { ...ref, live: false },
      { stdout: counted, stderr: options.output, stdin: null, signal: stopBackup.signal },
    );
    await new Promise<void>((resolve) => counted.end(() => resolve()));
    pipe.end();
  } catch (err) {
    // The target's refusal (a checksum, the disk) is the cause when it came first: the backup was
    // cancelled for it. Otherwise the backup's failure is (its agent gone), not the cancel of the
    // restore that follows here.
    const cause = refused ?? err;
    stopRestore.abort();
    await restoring.catch(() => undefined);
    throw cause;
  } finally {
    options.signal.removeEventListener('abort', abort);
  }
  return (await restoring).workspace;
}
