import { PassThrough } from 'node:stream';
import {
  BUILD_HASH_TRAILER_BYTES,
  BUILD_WINDOW,
  BerthError,
  type EventData,
  type ExecInput,
  type ExecResize,
  type Params,
  type RequestId,
  type Result,
} from '../../protocol';
import type { AgentConfig } from '../config';
import type { ImageBuilder } from '../build/builder';
import type { User } from '../users';
import type { WorkspaceService } from '../workspaces/service';
import type { OpContext } from '../workspaces/operation';
import { Tally } from './limits';
import { formatSize } from '../../util/sizes';

/** Bytes of context taken between two acknowledgements (unless all that came is taken). */
const ACK_BYTES = 1024 * 1024;

/** Builds one user may run at once (each holds a connection to dockerd and a context upload). */
const MAX_BUILDS_PER_USER = 4;

/** What of its request's context a build needs (agent/server/handlers.ts HandlerContext has it). */
interface BuildContext extends OpContext {
  user: User;
  requestId: RequestId | null;
  sendEvent<E extends 'image.build.log' | 'image.build.progress'>(event: E, data: EventData<E>): void;
  onInput(listener: (frame: ExecInput | ExecResize) => void): void;
  onBytes(listener: (bytes: Buffer) => void): void;
}

/** `image.build` and `workspace.rebuild` (protocol/build.ts). */
export function buildHandlers({
  config,
  service,
  builder,
}: {
  config: AgentConfig;
  service: WorkspaceService;
  builder?: ImageBuilder | undefined;
}): {
  'image.build': (params: Params<'image.build'>, ctx: BuildContext) => Promise<Result<'image.build'>>;
  'workspace.rebuild': (params: Params<'workspace.rebuild'>, ctx: BuildContext) => Promise<Result<'workspace.rebuild'>>;
} {
  const running = new Tally<string>(MAX_BUILDS_PER_USER);
  return {
    'image.build': async ({ hash, hashLast, size, probe, ...definition }, ctx) => {
      if (!builder) throw new BerthError('invalid_params', 'this agent does not build images');
      const owner = ctx.user.name;
      if (hash !== undefined) {
        const tag = builder.tag(owner, hash);
        if (await builder.has(tag, owner, hash)) return { image: tag, cached: true };
        if (probe) return { image: tag, cached: false };
      }
      const limit = config.maxBuildContextBytes;
      if (size > limit) {
        throw new BerthError(
          'invalid_params',
          `the build context is ${formatSize(size)}, over this agent's limit of ${formatSize(limit)}; leave files out with a .dockerignore, or ask the host's operator to raise it (berth serve --max-build-context)`,
          { size, limit },
        );
      }
      if (running.full(owner)) {
        throw new BerthError(
          'no_capacity',
          `${owner} runs ${running.max} builds already, the most allowed; wait for one to end`,
        );
      }
      const release = running.take(owner);
      const requestId = ctx.requestId ?? 0;
      const stop = new AbortController();
      const cancel = () => stop.abort();
      ctx.signal?.addEventListener('abort', cancel, { once: true });
      const relay = new ContextRelay(ctx, { limit, total: size, hashLast }, cancel);
      // A hash that follows the tar: a build of it that exists ends this one before Docker builds.
      let existing: string | null = null;
      const built =
        hash ??
        relay.trailer.then(async (trailer) => {
          const tag = builder.tag(owner, trailer);
          if (await builder.has(tag, owner, trailer)) {
            existing = tag;
            cancel();
          } else relay.release();
          return trailer;
        });
      // Awaited by the builder only after Docker's answer. A failed look for the build fails it now
      // (the relay would otherwise hold the tar's end forever); a relay's failure is its own.
      if (typeof built !== 'string') {
        built.catch((err: unknown) => {
          if (relay.failure) return;
          relay.fail(
            err instanceof BerthError
              ? err
              : new BerthError('runtime_error', `could not look for the build: ${String(err)}`),
          );
        });
      }
      try {
        ctx.sendEvent('image.build.progress', { requestId, phase: 'uploading', bytes: 0, total: size });
        const image = await builder
          .build({
            owner,
            hash: built,
            definition,
            context: relay.stream,
            signal: stop.signal,
            onLog: (text) => ctx.sendEvent('image.build.log', { requestId, text }),
          })
          .catch((err: unknown) => {
            if (existing !== null) return existing;
            throw relay.failure ?? err;
          });
        if (existing !== null) return { image: existing, cached: true };
        if (relay.failure) throw relay.failure;
        return { image, cached: false };
      } finally {
        ctx.signal?.removeEventListener('abort', cancel);
        relay.stream.destroy();
        release();
      }
    },
    'workspace.rebuild': async ({ image, build, ...ref }, ctx) => ({
      workspace: await service.update(ctx.user, ref, { image, build }, { ...ctx, recreate: true }),
    }),
  };
}

/**
 * The context's frames, written to the stream Docker reads as they come. The client sends at most
 * {@link BUILD_WINDOW} bytes beyond what was acknowledged; a write is acknowledged once the stream
 * took it, which waits while Docker reads slower than the client sends. More than the window, or
 * more than the limit, fails the build (`onFailure`).
 *
 * With `hashLast`, the tar's `total` bytes are followed by the build's hash
 * ({@link BUILD_HASH_TRAILER_BYTES} hex digits, `trailer`): the tar's last 1024 bytes (its end
 * blocks, without which Docker does not start building) are held back until {@link release}.
 */
class ContextRelay {
  readonly stream = new PassThrough({ highWaterMark: 1024 * 1024 }).on('error', () => undefined);
  failure: BerthError | null = null;
  /** The hash after the tar (`hashLast`), once the context has ended; rejects when the relay fails. */
  readonly trailer: Promise<string>;
  private received = 0;
  private written = 0;
  private acknowledged = 0;
  /** The tar's end blocks, held back (`hashLast`) until the hash is known and no such build exists. */
  private held: Buffer[] = [];
  private hashBytes: Buffer[] = [];
  /** Runs once the last byte received was taken (set at the end of the context). */
  private onTaken: (() => void) | null = null;
  private settleTrailer: { resolve(hash: string): void; reject(err: BerthError): void } | null = null;
  private readonly requestId: RequestId;
  private readonly total: number;
  private readonly onFailure: () => void;

  constructor(
    private readonly ctx: BuildContext,
    { limit, total, hashLast }: { limit: number; total: number; hashLast: boolean },
    onFailure: () => void,
  ) {
    this.total = total;
    this.requestId = ctx.requestId ?? 0;
    this.trailer = new Promise<string>((resolve, reject) => (this.settleTrailer = { resolve, reject }));
    if (!hashLast) this.settleTrailer = null;
    const holdFrom = hashLast ? total - 1024 : Infinity;
    this.onFailure = onFailure;
    const fail = (failure: BerthError) => this.fail(failure);
    const take = (data: Buffer) => {
      if (this.failure) return;
      // With hashLast, what comes after the tar is the hash, never context.
      const chunk = hashLast ? data.subarray(0, Math.max(0, total - this.received)) : data;
      if (chunk.length < data.length) this.hashBytes.push(data.subarray(chunk.length));
      if (this.hashBytes.reduce((sum, part) => sum + part.length, 0) > BUILD_HASH_TRAILER_BYTES) {
        return fail(
          new BerthError(
            'invalid_params',
            `more came after the build's hash than its ${BUILD_HASH_TRAILER_BYTES} hex digits; the tar is ${total} bytes, then the hash, then the end`,
          ),
        );
      }
      const start = this.received;
      this.received += chunk.length;
      if (this.received > limit) {
        return fail(
          new BerthError(
            'invalid_params',
            `the build context passed this agent's limit of ${formatSize(limit)}; leave files out with a .dockerignore`,
          ),
        );
      }
      if (this.received - this.written > BUILD_WINDOW) {
        return fail(
          new BerthError(
            'invalid_params',
            `the context came more than ${BUILD_WINDOW} bytes ahead of what the agent had taken; wait for image.build.progress before sending more`,
          ),
        );
      }
      const free = Math.max(0, Math.min(chunk.length, holdFrom - start));
      if (free > 0) this.pass(chunk.subarray(0, free));
      if (free < chunk.length) this.held.push(chunk.subarray(free));
    };
    ctx.onBytes(take);
    ctx.onInput((frame) => {
      if (this.failure || 'resize' in frame) return;
      if (frame.data) take(Buffer.from(frame.data, 'base64'));
      if (!frame.eof || this.failure) return;
      if (!hashLast) return this.end();
      const hash = Buffer.concat(this.hashBytes).toString('latin1');
      if (this.received !== total || !/^[0-9a-f]{64}$/.test(hash)) {
        return fail(
          new BerthError(
            'invalid_params',
            `the context ended after ${this.received} of its ${total} bytes and ${hash.length} of the hash's ${BUILD_HASH_TRAILER_BYTES}; send the whole tar, then the build's hash in lowercase hex, then the end`,
          ),
        );
      }
      this.settleTrailer?.resolve(hash);
    });
  }

  /** Fails the build with `failure` (the first one counts): the upload stops, Docker is cancelled. */
  fail(failure: BerthError): void {
    if (this.failure) return;
    this.failure = failure;
    this.settleTrailer?.reject(failure);
    this.onFailure();
  }

  /** Lets the held end of the tar through (`hashLast`): Docker builds. */
  release(): void {
    if (this.failure) return;
    for (const part of this.held.splice(0)) this.pass(part);
    this.end();
  }

  /** Writes `chunk` on to Docker, acknowledging what was taken. */
  private pass(chunk: Buffer): void {
    this.stream.write(chunk, (err) => {
      if (err) return;
      this.written += chunk.length;
      // One acknowledgement a MiB, and one whenever all that came is taken (the client may wait on it).
      if (this.written - this.acknowledged < ACK_BYTES && this.written < this.received) return;
      this.acknowledged = this.written;
      this.ctx.sendEvent('image.build.progress', {
        requestId: this.requestId,
        phase: 'uploading',
        bytes: this.written,
        total: this.total,
      });
      if (this.written === this.received && this.onTaken) {
        this.onTaken();
        this.onTaken = null;
      }
    });
  }

  private end(): void {
    this.stream.end();
    // `building` comes once all of the context was taken, after its last `uploading`.
    const building = () =>
      this.ctx.sendEvent('image.build.progress', {
        requestId: this.requestId,
        phase: 'building',
        bytes: this.received,
        total: this.total,
      });
    if (this.written === this.received) building();
    else this.onTaken = building;
  }
}
