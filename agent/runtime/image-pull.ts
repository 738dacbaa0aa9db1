import type { Readable } from 'node:stream';
import type Docker from 'dockerode';
import { BerthError } from '../../protocol';
import { imageRefParts, pullAllowed } from '../../protocol/image-registry';
import { formatSize } from '../../util/sizes';
import { runtimeError, statusCode } from './docker-errors';

/** How long a pull may take, and how much it may download, before it is stopped. */
export interface PullLimits {
  timeoutMs: number;
  maxBytes: number;
}

/** 30 minutes and 50 GiB: more than any workspace image should need, less than a runaway pull fills. */
export const DEFAULT_PULL_LIMITS: PullLimits = { timeoutMs: 30 * 60 * 1000, maxBytes: 50 * 1024 ** 3 };

/** How often a pull's download progress is reported (its other steps are reported as they come). */
const PROGRESS_EVERY_MS = 2000;

/** One event of Docker's pull stream (`POST /images/create`). */
interface PullEvent {
  status?: string;
  id?: string;
  progressDetail?: { current?: number; total?: number };
  error?: string;
  errorDetail?: { message?: string };
}

/**
 * Pulls `ref` (which must be an image reference: imageRefParts) with the host's Docker, without
 * credentials, reporting each step as a line to `onProgress` (download progress at most every two
 * seconds). Fails with what Docker said; with `cancelled` when `signal` aborts; with `runtime_error`
 * past `limits` (the pull is stopped: Docker cancels a pull whose client went away).
 */
export async function pullImage(
  docker: Docker,
  ref: string,
  onProgress: (line: string) => void,
  signal?: AbortSignal,
  limits: PullLimits = DEFAULT_PULL_LIMITS,
): Promise<void> {
  const parts = imageRefParts(ref);
  if (!parts) throw new BerthError('invalid_params', `"${ref}" is not an image reference; nothing was pulled`);
  const abort = new AbortController();
  // Set from callbacks (a timer, the signal, the stream): an object, so that its reads are not narrowed away.
  const stopped: { why: BerthError | null } = { why: null };
  const stop = (why: BerthError) => {
    stopped.why ??= why;
    abort.abort();
  };
  const onAbort = () => stop(new BerthError('cancelled', `the pull of ${ref} was cancelled`));
  signal?.addEventListener('abort', onAbort, { once: true });
  if (signal?.aborted) onAbort();
  const timer = setTimeout(
    () =>
      stop(
        new BerthError(
          'runtime_error',
          `the pull of ${ref} took more than ${limits.timeoutMs / 60000} minutes and was stopped; ask the host's operator to pull it (docker pull ${ref})`,
        ),
      ),
    limits.timeoutMs,
  );
  onProgress(`Pulling ${ref} from ${parts.registry}`);
  try {
    // The tag or digest as its own parameter: without one Docker would pull every tag of the repository.
    const stream = (await docker.createImage({
      fromImage: parts.name,
      tag: parts.digest ?? parts.tag ?? 'latest',
      abortSignal: abort.signal,
    })) as Readable;
    await followPull(stream, ref, onProgress, limits, stop);
  } catch (err) {
    if (stopped.why) throw stopped.why;
    if (err instanceof BerthError) throw err;
    const code = statusCode(err);
    // 404: Docker's "manifest unknown" or "repository does not exist"; its message says which.
    if (code === 404) {
      const said = runtimeError(`pull ${ref}`, err).message;
      throw new BerthError('image_not_found', `${said}; check the image's name and tag on ${parts.registry}`, {
        image: ref,
      });
    }
    throw runtimeError(`pull ${ref}${code ? ` (HTTP ${code})` : ''}`, err);
  } finally {
    clearTimeout(timer);
    signal?.removeEventListener('abort', onAbort);
  }
  if (stopped.why) throw stopped.why;
}

/**
 * Reads the pull stream (`POST /images/create`: a JSON event a line) to its end, reporting its
 * steps; fails with the first error event Docker sent. Past `limits.maxBytes` of layers, calls `stop`.
 */
export function followPull(
  stream: Readable,
  ref: string,
  onProgress: (line: string) => void,
  limits: PullLimits,
  stop: (why: BerthError) => void,
): Promise<void> {
  const totals = new Map<string, number>();
  const current = new Map<string, number>();
  let reported = 0;
  let failure: string | null = null;
  let buffer = '';
  const onEvent = (event: PullEvent) => {
    if (event.error || event.errorDetail?.message) {
      failure ??= event.errorDetail?.message ?? event.error ?? 'unknown error';
      return;
    }
    const status = event.status ?? '';
    if (status === 'Downloading' && event.id) {
      // A layer counts as the most of its total and of what came of it: a registry may state no
      // total, or a smaller one than it sends.
      const came = event.progressDetail?.current ?? 0;
      totals.set(event.id, Math.max(totals.get(event.id) ?? 0, event.progressDetail?.total ?? 0, came));
      current.set(event.id, came);
      const total = [...totals.values()].reduce((a, b) => a + b, 0);
      if (total > limits.maxBytes) {
        stop(
          new BerthError(
            'runtime_error',
            `${ref} is more than ${formatSize(limits.maxBytes)} to download and its pull was stopped; use a smaller image, or ask the host's operator to pull it (docker pull ${ref})`,
          ),
        );
      }
      if (Date.now() - reported < PROGRESS_EVERY_MS) return;
      reported = Date.now();
      const done = [...current.values()].reduce((a, b) => a + b, 0);
      onProgress(`Downloading ${formatSize(done)} of ${formatSize(total)}`);
      return;
    }
    if (status === 'Extracting' || status === 'Waiting') return;
    onProgress(event.id && !status.includes(event.id) ? `${event.id}: ${status}` : status);
  };
  return new Promise<void>((resolve, reject) => {
    stream.on('data', (chunk: Buffer) => {
      buffer += chunk.toString('utf8');
      let newline: number;
      while ((newline = buffer.indexOf('\n')) >= 0) {
        const line = buffer.slice(0, newline).trim();
        buffer = buffer.slice(newline + 1);
        if (!line) continue;
        try {
          onEvent(JSON.parse(line) as PullEvent);
        } catch {
          onProgress(line);
        }
      }
    });
    stream.once('error', reject);
    // The end of the stream is the end of the pull; Docker reports a failure as its last event.
    const finish = () =>
      failure ? reject(new BerthError('runtime_error', `Docker could not pull ${ref}: ${failure}`)) : resolve();
    stream.once('end', finish);
    stream.once('close', finish);
  });
}

/**
 * What the agent does with an image the host lacks: pulls it when its registry is one the admin
 * allowed (`berth serve --allow-pull`), and resolves to true once it is on the host; false when
 * the registry is not allowed (the caller refuses, adding protocol/image-registry.ts `allowPullHint`).
 */
export async function pullIfAllowed(
  docker: Docker,
  ref: string,
  allowed: readonly string[],
  onProgress: (line: string) => void,
  signal?: AbortSignal,
  limits?: PullLimits,
): Promise<boolean> {
  if (!pullAllowed(ref, allowed)) return false;
  await pullImage(docker, ref, onProgress, signal, limits);
  return true;
}
