import * as path from 'node:path';
import {
  BUILD_WINDOW,
  BerthError,
  BuildDefinition,
  BUILD_CHUNK_BYTES,
  describeIssues,
  type BuildRecord,
  type EventData,
} from '../protocol';
import type { AgentClient } from './agent-client';
import { packContext, scanContext, type ScannedContext } from './build-context';
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

/**
 * Sends the build of `context` with `definition` to the host of `client` (`image.build`) and
 * resolves with the image, `build` being the spec's record of it. The agent is asked first whether
 * it has that build (then nothing is sent or built); otherwise the tar streams to it as it is read,
 * at most BUILD_WINDOW bytes ahead of what Docker has taken, and the build log streams back.
 */
export async function sendBuild(
  client: AgentClient,
  { definition, context, build }: { definition: BuildDefinition; context: ScannedContext; build: BuildRecord },
  hooks: BuildHooks = {},
): Promise<BuiltImage> {
  const params = { ...definition, hash: context.hash, size: context.size };
  const probe = await client.request(
    'image.build',
    { ...params, probe: true },
    hooks.signal ? { signal: hooks.signal } : {},
  );
  if (probe.cached) return { image: probe.image, cached: true, build };

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
      client.sendBytes(id, part);
      sent += part.length;
    }
    if (sent - acked > BUILD_WINDOW - BUILD_CHUNK_BYTES) pack.pause();
  };
  pack.once('end', () => {
    if (id !== null) client.sendInput(id, null, true);
  });
  pack.once('error', (err) => {
    packError = err;
    cancel();
  });
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
    return { image: result.image, cached: result.cached, build };
  } catch (err) {
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

/**
 * What a build of `input` is made of, read from its folder without building: the definition, the
 * context as scanned, and the spec's record of it (with the hash that names the image).
 */
export async function readBuild(
  input: BuildInput,
): Promise<{ definition: BuildDefinition; context: ScannedContext; build: BuildRecord }> {
  const parsed = BuildDefinition.safeParse({
    dockerfile: input.dockerfile ?? 'Dockerfile',
    args: input.args ?? {},
    ...(input.target ? { target: input.target } : {}),
  });
  if (!parsed.success) throw new BerthError('invalid_params', describeIssues(parsed.error));
  const definition = parsed.data;
  const context = await scanContext(input.contextDir, definition, await DigestCache.open(input.digests));
  return { definition, context, build: { context: path.resolve(input.contextDir), ...definition, hash: context.hash } };
}
