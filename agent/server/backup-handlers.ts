import { PassThrough, type Readable } from 'node:stream';
import { BerthError, type Params, type Result } from '../../protocol';
import { ArchiveReader } from '../backup/archive-reader';
import { ArchiveError, type BackupInfo } from '../backup/format';
import { END_BYTES } from '../backup/tar';
import type { Backups, IncomingBackup } from '../workspaces/backup';
import { pumpOutput, StdinRelay, type InputSink, type StreamContext } from './byte-stream';
import type { OpContext } from '../workspaces/operation';
import type { User } from '../users';
import { YoungGc } from './young-gc';
import { DEFAULT_TRANSFER_STALL_MS, describeStall, watchStall } from './stall';

/** What of its request's context a backup or restore needs (agent/server/handlers.ts HandlerContext has it). */
type HandlerContext = StreamContext & OpContext & { user: User };

/**
 * `workspace.backup` and `workspace.restore`: the backup file streams over exec's frames and flow
 * control (agent/server/byte-stream.ts); the work is agent/workspaces/backup.ts's. A transfer in
 * which no byte moves for `stallMs` is cancelled as if its client had cancelled it.
 */
export function backupHandlers(
  backups: Backups,
  stallMs = DEFAULT_TRANSFER_STALL_MS,
): {
  'workspace.backup': (params: Params<'workspace.backup'>, ctx: HandlerContext) => Promise<Result<'workspace.backup'>>;
  'workspace.restore': (
    params: Params<'workspace.restore'>,
    ctx: HandlerContext,
  ) => Promise<Result<'workspace.restore'>>;
} {
  return {
    'workspace.backup': async ({ live, ...ref }, ctx) =>
      backups.backup(ctx.user, ref, live, ctx, (file) => send(file, ctx, stallMs)),
    'workspace.restore': async ({ name, bytes }, ctx) => {
      const incoming = receive(ctx, bytes, stallMs);
      try {
        return { workspace: await backups.restore(ctx.user, name, incoming, ctx) };
      } finally {
        incoming.home.destroy();
      }
    },
  };
}

/** Streams `file` to the requesting client; resolves with its size once all of it is handed over. */
function send(file: Readable, ctx: HandlerContext, stallMs: number): Promise<number> {
  const requestId = ctx.requestId;
  if (requestId === null) throw new BerthError('internal', 'a backup needs a request to stream to');
  return new Promise<number>((resolve, reject) => {
    let bytes = 0;
    const young = new YoungGc();
    const cancel = () => file.destroy(new BerthError('cancelled', 'the backup was cancelled; nothing was kept'));
    if (ctx.signal?.aborted) cancel();
    ctx.signal?.addEventListener('abort', cancel, { once: true });
    const stall = watchStall(stallMs, () =>
      file.destroy(
        new BerthError(
          'cancelled',
          `the backup was cancelled: the client took no bytes for ${describeStall(stallMs)}; nothing was kept`,
        ),
      ),
    );
    const done = () => {
      stall.stop();
      ctx.signal?.removeEventListener('abort', cancel);
    };
    // Progress is a chunk the connection took: a client that stopped reading stops those.
    const watched: StreamContext = {
      requestId: ctx.requestId,
      onInput: (listener) => ctx.onInput(listener),
      sendEvent: (event, data, onSent) =>
        ctx.sendEvent(event, data, () => {
          stall.progress();
          onSent?.();
        }),
      // The file's bytes go in binary frames where the connection sends them.
      ...(ctx.sendBytes
        ? {
            sendBytes: (bytes: Buffer, onSent?: () => void) =>
              ctx.sendBytes?.(bytes, () => {
                stall.progress();
                onSent?.();
              }),
          }
        : {}),
    };
    pumpOutput(
      {
        onOutput: (listener) =>
          file.on('data', (chunk: Buffer) => {
            bytes += chunk.length;
            young.add(chunk.length);
            listener('stdout', chunk);
          }),
        pause: () => file.pause(),
        resume: () => file.resume(),
      },
      watched,
      requestId,
      true,
    );
    file.once('end', () => {
      done();
      resolve(bytes);
    });
    file.once('error', (err) => {
      done();
      reject(err instanceof ArchiveError ? new BerthError('runtime_error', err.message) : err);
    });
  });
}

/**
 * Reads a backup file from the request's input as it arrives: backup.json as soon as it is in, the
 * home's tar bytes as a stream (acknowledged only as Docker takes them, so at most the input window
 * waits here), and the verdict at the end: every checksum, and exactly `expected` bytes when given
 * (without it, the manifest found at the input's end checks the length).
 */
function receive(ctx: HandlerContext, expected: number | undefined, stallMs: number): IncomingBackup {
  const home = new PassThrough();
  // A refused or cancelled restore destroys it with the reason, which the request answers.
  home.on('error', () => undefined);
  let gotInfo: (info: BackupInfo) => void = () => undefined;
  let ok: () => void = () => undefined;
  let failed: (err: Error) => void = () => undefined;
  const info = new Promise<BackupInfo>((resolve, reject) => {
    gotInfo = resolve;
    failed = reject;
  });
  const verified = new Promise<void>((resolve, reject) => {
    ok = resolve;
    const early = failed;
    failed = (err) => {
      early(err);
      reject(err);
      home.destroy(err);
    };
  });
  // Nobody may wait on these (a restore refused early): their rejections are answered by the request.
  info.catch(() => undefined);
  verified.catch(() => undefined);
  const fail = (err: unknown) =>
    failed(
      err instanceof ArchiveError
        ? new BerthError('invalid_params', `the backup is refused: ${err.message}`)
        : (err as Error),
    );

  // Acknowledgements held until Docker takes what is buffered.
  let waiting: (() => void)[] | null = null;
  home.on('drain', () => {
    const held = waiting ?? [];
    waiting = null;
    for (const written of held) written();
  });
  const reader = new ArchiveReader(gotInfo, (bytes) => {
    if (!home.write(bytes)) waiting ??= [];
  });
  const young = new YoungGc();
  const stall = watchStall(stallMs, () =>
    fail(
      new BerthError(
        'cancelled',
        `the restore was cancelled: no bytes came for ${describeStall(stallMs)}; nothing was made`,
      ),
    ),
  );
  verified.then(
    () => stall.stop(),
    () => stall.stop(),
  );
  const sink: InputSink = {
    write(data, written) {
      stall.progress();
      young.add(data.length);
      try {
        reader.push(data);
      } catch (err) {
        return fail(err);
      }
      if (expected !== undefined && reader.received > expected) {
        return fail(new ArchiveError(`more than the ${expected} bytes announced came in`));
      }
      if (waiting) waiting.push(written);
      else written();
    },
    end() {
      try {
        if (expected !== undefined && reader.received !== expected) {
          throw new ArchiveError(`the upload ended after ${reader.received} of ${expected} bytes`);
        }
        reader.end();
      } catch (err) {
        return fail(err);
      }
      home.end(Buffer.alloc(END_BYTES));
      ok();
    },
  };
  const relay = new StdinRelay(ctx);
  relay.onFailure = () => fail(relay.failure);
  relay.attach(sink);
  const cancel = () => fail(new BerthError('cancelled', 'the restore was cancelled; nothing was made'));
  if (ctx.signal?.aborted) cancel();
  ctx.signal?.addEventListener('abort', cancel, { once: true });
  return { info, home, verified };
}
