import * as path from 'node:path';
import {
  BUILD_WINDOW,
  BerthError,
  BuildDefinition,
  BUILD_CHUNK_BYTES,
  describeIssues,
  EXEC_CHUNK_BYTES,
  type BuildRecord,
  type EventData,
} from '../protocol';
import type { AgentClient } from './agent-client';
import { hashUnread, packContext, scanContext, unreadBytes, type ScannedContext } from './build-context';
import { DigestCache } from './context-digests';

/** What to build: a context folder, and the Dockerfile's path inside it (default `Dockerfile`). */
export interface BuildInput {
  contextDir: string;
  dockerfile?: string | undefined;
  args?: Record<string, string> | undefined;
  target?: string | undefined;
  /** Where digests of unchanged files are kept between builds (client/context-digests.ts); null: nowhere. */
  digests?: string | null | undefined;
  /** Devcontainer features installed on top (client/features): the build above, or their own base image. */
  features?: FeaturesInput | undefined;
}

/** A feature a definition names: its key in `features` and the options given there. */
export interface FeatureRequest {
  key: string;
  options: Record<string, string | boolean>;
}

/** The features of a definition, as its build installs them. */
export interface FeaturesInput {
  /** The folder of devcontainer.json: local features (`./x`) are relative to it and stay inside it. */
  definitionDir: string;
  features: FeatureRequest[];
  /** `overrideFeatureInstallOrder`: un-versioned ids, first installed first. */
  installOrder?: string[] | undefined;
  /** The image they go on (the definition's `image`); absent: the input's own build is their base. */
  baseImage?: string | undefined;
  /** The workspace user, as `_REMOTE_USER` and `_CONTAINER_USER`. */
  user: string;
}

/** Where a build reports, and what cancels it. */
export interface BuildHooks {
  /** Docker's build log, as it comes. */
  onLog?: (text: string) => void;
  /** Bytes of the context that reached Docker, of `total`; then `building`. */
  onProgress?: (progress: Omit<EventData<'image.build.progress'>, 'requestId'>) => void;
  /** Aborting stops the upload and the build on the agent; the call rejects with `cancelled`. */
  signal?: AbortSignal | undefined;
}

/** A built image: its local reference, whether it was there already, and how it was made (for the spec). */
export interface BuiltImage {
  image: string;
  cached: boolean;
  build: BuildRecord;
}

/** A build's record without its hash (known once the context is hashed, perhaps only as it is sent). */
export type BuildBase = Omit<BuildRecord, 'hash'>;

/**
 * Unread bytes above which a build is sent while it is hashed: hashing less first costs a few
 * milliseconds, and a build the host has then costs no upload at all.
 */
export const HASH_ALONGSIDE_BYTES = 8 * 1024 * 1024;

/**
 * Sends the build of `context` to the host of `client` (`image.build`) and resolves with the image,
 * `build` being the spec's record of it (`record` and the hash).
 *
 * When the digest cache knows every file (or the rest is small), the context is hashed first and the
 * agent asked whether it has that build: then nothing is sent or built. Otherwise (a first build of
 * a big folder), to an agent that takes `hashLast` (protocol/build.ts), the tar is sent at once while
 * the files are hashed alongside: the agent is asked as soon as the hash is known, and a build it
 * has cuts the upload short; the hash follows the tar, so Docker never builds what exists. An older
 * agent gets the files hashed first. The tar streams at most BUILD_WINDOW bytes ahead of what Docker
 * has taken, and the build log streams back.
 */
export async function sendBuild(
  client: AgentClient,
  { context, record }: { context: ScannedContext; record: BuildBase },
  hooks: BuildHooks = {},
): Promise<BuiltImage> {
  const features = client.welcome.features ?? [];
  const { definition, size } = context;
  const options = hooks.signal ? { signal: hooks.signal } : {};
  const alongside =
    context.hash === null && unreadBytes(context) > HASH_ALONGSIDE_BYTES && features.includes('build-hash-last');
  const first = alongside ? null : await hashUnread(context);
  if (first !== null) {
    const probe = await client.request('image.build', { ...definition, hash: first, size, probe: true }, options);
    if (probe.cached) return { image: probe.image, cached: true, build: { ...record, hash: first } };
  }
  const params = first === null ? { ...definition, size, hashLast: true } : { ...definition, hash: first, size };
  // Binary frames to an agent that names them; base64 to an older one (protocol/version.ts).
  const binary = features.includes('binary-input');
  const send = (requestId: number, part: Buffer) => {
    if (binary) return client.sendBytes(requestId, part);
    for (let at = 0; at < part.length; at += EXEC_CHUNK_BYTES) {
      client.sendInput(requestId, part.subarray(at, at + EXEC_CHUNK_BYTES));
    }
  };

  const stop = new AbortController();
  const cancel = () => stop.abort();
  hooks.signal?.addEventListener('abort', cancel, { once: true });
  if (hooks.signal?.aborted) cancel();
  const pack = packContext(context);
  let packError: Error | null = null;
  let id: number | null = null;
  let sent = 0;
  let acked = 0;
  let flowing = false;
  const onData = (data: unknown) => {
    const chunk = data as Buffer;
    if (id === null) return;
    for (let at = 0; at < chunk.length; at += BUILD_CHUNK_BYTES) {
      const part = chunk.subarray(at, at + BUILD_CHUNK_BYTES);
      send(id, part);
      sent += part.length;
    }
    if (sent - acked > BUILD_WINDOW - BUILD_CHUNK_BYTES) pack.pause();
  };
  const fail = (err: Error) => {
    // What fails after a cancel (the hashing stopped, the pack destroyed) is the cancel's doing.
    if (!stop.signal.aborted) packError = err;
    cancel();
  };
  // Sent alongside: the agent is asked as soon as the hash is known; a build it has ends the upload.
  let existing: string | null = null;
  const hashed = hashUnread(context, stop.signal);
  if (alongside) {
    hashed.then(
      async (hash) => {
        // Only a shortcut: the agent looks for the build itself once the hash follows the tar, so a
        // question that fails (the connection aside, which fails the build anyway) changes nothing.
        const probe = await client
          .request('image.build', { ...definition, hash, size, probe: true }, options)
          .catch(() => null);
        if (probe?.cached && !stop.signal.aborted) {
          existing = probe.image;
          cancel();
        }
      },
      (err: unknown) => fail(err as Error),
    );
  }
  pack.once('end', () => {
    const requestId = id;
    if (requestId === null) return;
    if (!alongside) return client.sendInput(requestId, null, true);
    // The hash right after the tar (BUILD_HASH_TRAILER_BYTES hex digits), then the end.
    hashed.then((hash) => {
      send(requestId, Buffer.from(hash, 'latin1'));
      client.sendInput(requestId, null, true);
    }, fail);
  });
  pack.once('error', fail);
  const unsubscribe = client.onEvent((event) => {
    if (event.event !== 'image.build.log' && event.event !== 'image.build.progress') return;
    if (event.data.requestId !== id) return;
    if (event.event === 'image.build.log') return hooks.onLog?.(event.data.text);
    const { phase, bytes, total } = event.data;
    hooks.onProgress?.({ phase, bytes, total });
    if (phase !== 'uploading') return;
    acked = Math.max(acked, bytes);
    // The first acknowledgement (0 bytes) says "send": reading the context starts only then.
    if (!flowing) {
      flowing = true;
      pack.on('data', onData);
    } else if (sent - acked <= BUILD_WINDOW / 2) pack.resume();
  });
  try {
    const result = await client.request('image.build', params, {
      signal: stop.signal,
      onSent: (requestId) => (id = requestId),
    });
    return { image: result.image, cached: result.cached, build: { ...record, hash: await hashed } };
  } catch (err) {
    if (existing !== null) return { image: existing, cached: true, build: { ...record, hash: await hashed } };
    if (packError) throw packError as Error;
    if (hooks.signal?.aborted && !(err instanceof BerthError && err.code !== 'cancelled')) {
      throw new BerthError('cancelled', 'the build was cancelled; nothing was tagged');
    }
    throw err;
  } finally {
    unsubscribe();
    hooks.signal?.removeEventListener('abort', cancel);
    pack.destroy();
  }
}

/** The definition of `input`'s build, checked. */
function definitionOf(input: BuildInput): BuildDefinition {
  const parsed = BuildDefinition.safeParse({
    dockerfile: input.dockerfile ?? 'Dockerfile',
    args: input.args ?? {},
    ...(input.target ? { target: input.target } : {}),
  });
  if (!parsed.success) throw new BerthError('invalid_params', describeIssues(parsed.error));
  return parsed.data;
}

/**
 * `input`'s build as it will be sent: its context scanned, files whose digests the cache does not
 * know left unread (sendBuild hashes them as it sends them), and its record without the hash.
 */
export async function scanBuild(input: BuildInput): Promise<{ context: ScannedContext; record: BuildBase }> {
  const definition = definitionOf(input);
  const digests = await DigestCache.open(input.digests);
  const context = await scanContext(input.contextDir, definition, digests, { unread: true });
  return { context, record: { context: path.resolve(input.contextDir), ...definition } };
}

/**
 * What a build of `input` is made of, read from its folder without building: the definition, the
 * context as scanned (every file hashed), and the spec's record of it (with the hash that names the image).
 */
export async function readBuild(
  input: BuildInput,
): Promise<{ definition: BuildDefinition; context: ScannedContext; build: BuildRecord }> {
  const definition = definitionOf(input);
  const context = await scanContext(input.contextDir, definition, await DigestCache.open(input.digests));
  const hash = await hashUnread(context);
  return { definition, context, build: { context: path.resolve(input.contextDir), ...definition, hash } };
}
