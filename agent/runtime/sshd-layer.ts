import { Readable } from 'node:stream';
import type Docker from 'dockerode';
import { pack } from 'tar-stream';
import { BerthError } from '../../protocol';
import { allowPullHint } from '../../protocol/image-registry';
import { runtimeError, statusCode } from './docker-errors';
import { buildLimitOptions, DEFAULT_BUILD_LIMITS, type BuildLimits } from './build-limits';
import {
  LAYER_BASE_LABEL,
  PROBE_PATHS,
  SAFE_USER,
  layerDockerfile,
  layerTag,
  planFor,
  type PackageManager,
  type SshdPlan,
} from './sshd-recipe';

/** The label of Berth's own workspace image (agent/image/Dockerfile), which has sshd. */
const WORKSPACE_IMAGE_LABEL = ['dev.berth.image', 'workspace'] as const;

/** The proxy settings of the agent's environment, passed to the build (Docker's predefined build args). */
const PROXY_ARGS = ['http_proxy', 'https_proxy', 'no_proxy', 'HTTP_PROXY', 'HTTPS_PROXY', 'NO_PROXY'];

/** A build log line as a progress message: control characters gone, at most this long. */
const MAX_LINE = 240;

interface ImageInfo {
  Id: string;
  Config?: { User?: string; Labels?: Record<string, string> | null } | null;
}

/** A build under way, shared by every create of the same base image. */
interface SharedBuild {
  result: Promise<string>;
  listeners: Set<(line: string) => void>;
  waiters: number;
  settled: boolean;
  abort: AbortController;
}

/** The label of the containers made to look into an image (see `probe`). */
export const PROBE_LABEL = 'dev.berth.sshd-probe';

/** A path segment of a Docker API request (see docker.ts). */
const segment = (name: string): string => encodeURIComponent(name);

/**
 * Gives any image an sshd: the image itself when it has one, else an image derived from it with
 * OpenSSH installed through its own package manager (`sshd-recipe.ts`), built once per base image id
 * and tagged `berth-sshd:<id>` with the base id as a label; later calls find it. Concurrent calls
 * for the same base share one build, which is cancelled only when every one of them is.
 */
export class SshdLayer {
  /** What each image id needs; an id names immutable content, so the answer never changes. */
  private readonly plans = new Map<string, SshdPlan>();
  private readonly builds = new Map<string, SharedBuild>();

  /** Probes under way in this process: a clean-up leaves them alone. */
  private readonly probing = new Set<string>();

  /** `agentLabel` (`[key, value]`) marks the probe containers as this agent's, for its clean-up. */
  constructor(
    private readonly docker: Docker,
    private readonly agentLabel: [string, string],
    /** What each step of the layering may use (the image's package manager runs its scripts). */
    private readonly limits: BuildLimits = DEFAULT_BUILD_LIMITS,
  ) {}

  /**
   * Removes the probe containers of this agent that no probe of this process uses: what an agent
   * killed in the middle of one left. Resolves to their names.
   */
  async removeLeftoverProbes(): Promise<string[]> {
    const filters = { label: [`${this.agentLabel[0]}=${this.agentLabel[1]}`, PROBE_LABEL] };
    const left = (await this.docker.listContainers({ all: true, filters })).filter((c) => !this.probing.has(c.Id));
    for (const container of left) {
      await this.docker.getContainer(container.Id).remove({ force: true, v: true });
    }
    return left.map((container) => container.Names[0]?.slice(1) ?? container.Id);
  }

  /**
   * The image to create a workspace's container of `image` from. `onLayering` receives the
   * layering's messages (only when a layer is built or waited for); `signal` cancels the wait.
   */
  async imageFor(image: string, onLayering: (message: string) => void, signal?: AbortSignal): Promise<string> {
    const base = await this.inspect(image);
    if (!base) {
      throw new BerthError(
        'image_not_found',
        `image "${image}" is not on this host; build or pull it first, or choose another image (${allowPullHint(image)})`,
      );
    }
    const labels = base.Config?.Labels ?? {};
    if (labels[LAYER_BASE_LABEL] || labels[WORKSPACE_IMAGE_LABEL[0]] === WORKSPACE_IMAGE_LABEL[1]) return image;
    if (this.plans.get(base.Id)?.kind === 'ready') return image;
    const tag = layerTag(base.Id);
    if ((await this.inspect(tag))?.Config?.Labels?.[LAYER_BASE_LABEL] === base.Id) return tag;
    let plan = this.plans.get(base.Id);
    if (!plan) {
      plan = planFor(image, await this.probe(base.Id));
      this.plans.set(base.Id, plan);
    }
    if (plan.kind === 'ready') return image;
    if (plan.kind === 'unsupported') throw new BerthError('invalid_params', plan.reason, { image });
    const user = base.Config?.User ?? '';
    if (user && !SAFE_USER.test(user)) {
      throw new BerthError(
        'invalid_params',
        `image "${image}" has no OpenSSH server, and its USER ${JSON.stringify(user)} is not a user name or id Berth can restore after installing one; install openssh-server in the image`,
        { image },
      );
    }
    const { manager } = plan;
    return this.shared(
      base.Id,
      image,
      (build) => this.build(build, { baseId: base.Id, user, manager, tag, image }),
      onLayering,
      signal,
    );
  }

  /** The image's inspect, or null when there is none of that name. */
  private async inspect(name: string): Promise<ImageInfo | null> {
    try {
      return await this.docker.getImage(segment(name)).inspect();
    } catch (err) {
      if (statusCode(err) === 404) return null;
      throw runtimeError(`inspect image ${name}`, err);
    }
  }

  /**
   * Which of {@link PROBE_PATHS} the image has, read from a container made from it and never
   * started (so nothing of the image runs, and no shell is needed), then removed.
   */
  private async probe(imageId: string): Promise<Set<string>> {
    let container: Docker.Container;
    try {
      container = await this.docker.createContainer({
        Image: imageId,
        Entrypoint: ['/bin/sh'],
        Cmd: [],
        NetworkDisabled: true,
        Labels: { [this.agentLabel[0]]: this.agentLabel[1], [PROBE_LABEL]: imageId },
      });
    } catch (err) {
      throw runtimeError('look into the image for sshd', err);
    }
    this.probing.add(container.id);
    try {
      const found = await Promise.all(PROBE_PATHS.map(async (p) => ((await isFile(container, p)) ? [p] : [])));
      return new Set(found.flat());
    } finally {
      // v: the anonymous volumes of the image's VOLUMEs, made with the container, go with it.
      await container.remove({ force: true, v: true }).catch(() => undefined);
      this.probing.delete(container.id);
    }
  }

  /** Runs `start` once per `key` at a time; each caller waits for it, hears its lines, and may cancel its own wait. */
  private async shared(
    key: string,
    image: string,
    start: (build: SharedBuild) => Promise<string>,
    onLayering: (message: string) => void,
    signal?: AbortSignal,
  ): Promise<string> {
    let build = this.builds.get(key);
    // One being cancelled (its last waiter gave up) is not joined: a fresh one starts beside it.
    if (build && !build.abort.signal.aborted) {
      onLayering(`Waiting for OpenSSH to be installed into ${image} (another create started it)`);
    } else {
      const fresh: SharedBuild = {
        result: Promise.resolve(''),
        listeners: new Set(),
        waiters: 0,
        settled: false,
        abort: new AbortController(),
      };
      // Listening before it starts: its first message is this caller's.
      fresh.listeners.add(onLayering);
      fresh.result = start(fresh).finally(() => {
        fresh.settled = true;
        if (this.builds.get(key) === fresh) this.builds.delete(key);
      });
      this.builds.set(key, fresh);
      build = fresh;
    }
    const own = build;
    own.listeners.add(onLayering);
    own.waiters++;
    let onAbort = () => undefined as void;
    try {
      return await new Promise<string>((resolve, reject) => {
        onAbort = () =>
          reject(new BerthError('cancelled', `cancelled while OpenSSH was being installed into ${image}`));
        if (signal?.aborted) return onAbort();
        signal?.addEventListener('abort', onAbort, { once: true });
        own.result.then(resolve, reject);
      });
    } finally {
      signal?.removeEventListener('abort', onAbort);
      own.listeners.delete(onLayering);
      own.waiters--;
      if (own.waiters === 0 && !own.settled) own.abort.abort();
    }
  }

  /** Builds the layer of `baseId` as `tag`, telling each listener of `build` every log line. */
  private async build(
    build: SharedBuild,
    {
      baseId,
      user,
      manager,
      tag,
      image,
    }: { baseId: string; user: string; manager: PackageManager; tag: string; image: string },
  ): Promise<string> {
    const tell = (line: string) => build.listeners.forEach((listener) => listener(line));
    tell(`Installing OpenSSH into ${image} with ${manager.name} (first use of this image; later creates reuse it)`);
    const context = await buildContext(layerDockerfile(baseId, user, manager));
    const buildargs = Object.fromEntries(PROXY_ARGS.flatMap((k) => (process.env[k] ? [[k, process.env[k]]] : [])));
    let stream: NodeJS.ReadableStream;
    try {
      stream = await this.docker.buildImage(context, {
        t: tag,
        buildargs,
        forcerm: true,
        ...buildLimitOptions(this.limits),
        version: '1',
        abortSignal: build.abort.signal,
      } as Docker.ImageBuildOptions);
    } catch (err) {
      throw runtimeError(`install OpenSSH into ${image}`, err);
    }
    // The install's own error line (apt's "E: …", apk's "ERROR: …", dnf's "Error: …") tells why; its
    // stdout and stderr arrive interleaved, so the last line alone may be an explanation's tail.
    let lastLine = '';
    let errorLine = '';
    const failure = await followBuild(stream, (line) => {
      if (!/^Step \d+\/\d+ : /.test(line)) lastLine = line;
      if (/^(E|ERROR|Error|error):/.test(line)) errorLine = line;
      tell(`Installing OpenSSH: ${line}`);
    });
    if (build.abort.signal.aborted) {
      throw new BerthError('cancelled', `cancelled while OpenSSH was being installed into ${image}`);
    }
    if (failure !== null) {
      throw new BerthError(
        'runtime_error',
        `could not install OpenSSH into image "${image}" with ${manager.name}: ${buildFailure(failure, errorLine || lastLine)}; install openssh-server in the image, or check that this host reaches its package mirrors`,
        { image },
      );
    }
    const made = await this.inspect(tag);
    if (made?.Config?.Labels?.[LAYER_BASE_LABEL] !== baseId) {
      throw new BerthError('runtime_error', `Docker built the OpenSSH layer of "${image}", yet ${tag} is not it`);
    }
    return tag;
  }
}

/**
 * A failed build in one line: Docker's "The command '…' returned a non-zero code: N" quotes the whole
 * script, so it becomes the exit code and the last line the install printed (its own error, as a rule).
 */
function buildFailure(error: string, lastLine: string): string {
  const code = /returned a non-zero code: (\d+)/.exec(error)?.[1];
  if (!code) return error.split('\n')[0] ?? error;
  return `the install exited with code ${code}${lastLine ? ` (${lastLine})` : ''}`;
}

/** A build context holding only `dockerfile`, as a tar stream. */
async function buildContext(dockerfile: string): Promise<Readable> {
  const tar = pack();
  tar.entry({ name: 'Dockerfile', mode: 0o644 }, dockerfile);
  tar.finalize();
  const chunks: Buffer[] = [];
  for await (const chunk of tar) chunks.push(chunk as Buffer);
  return Readable.from([Buffer.concat(chunks)]);
}

/** Whether `path` in the container is a file or a link (Docker's path stat; directories do not count). */
async function isFile(container: Docker.Container, path: string): Promise<boolean> {
  try {
    const res = (await container.infoArchive({ path })) as { headers?: Record<string, string>; resume?: () => void };
    res.resume?.();
    const header = res.headers?.['x-docker-container-path-stat'];
    if (!header) return false;
    const stat = JSON.parse(Buffer.from(header, 'base64').toString('utf8')) as { mode?: number };
    const isDir = Math.floor((stat.mode ?? 0) / 2 ** 31) % 2 === 1;
    return !isDir;
  } catch (err) {
    if (statusCode(err) === 404) return false;
    throw runtimeError(`look for ${path} in the image`, err);
  }
}

/**
 * Reads a classic build's JSON stream to its end, giving each output line to `onLine`; resolves
 * with the build's error (null when it succeeded).
 */
function followBuild(stream: NodeJS.ReadableStream, onLine: (line: string) => void): Promise<string | null> {
  return new Promise((resolve) => {
    let pending = '';
    let error: string | null = null;
    // A line of output may come in several messages (stdout and stderr are written in pieces): the
    // unfinished end of one message's output is kept for the next.
    let unfinished = '';
    const lines = (text: string, last = false) => {
      const pieces = (unfinished + text).split(/[\r\n]+/);
      unfinished = last ? '' : (pieces.pop() ?? '');
      // Output that never ends a line is taken as a line once it is that long (cut to MAX_LINE).
      if (unfinished.length > MAX_LINE) [pieces[pieces.length], unfinished] = [unfinished, ''];
      for (const raw of pieces) {
        // eslint-disable-next-line no-control-regex
        const line = raw.replace(/\x1b\[[0-9;]*[A-Za-z]|[\x00-\x1f\x7f]/g, '').trim();
        // Left out: the builder's layer ids and clean-up, and dpkg's percentages.
        if (line && !line.startsWith('---> ') && !/^Removing intermediate container|\.\.\. \d+%$/.test(line)) {
          onLine(line.length > MAX_LINE ? `${line.slice(0, MAX_LINE)}…` : line);
        }
      }
    };
    const frame = (text: string) => {
      if (!text.trim()) return;
      try {
        const message = JSON.parse(text) as { stream?: string; error?: string; errorDetail?: { message?: string } };
        if (typeof message.stream === 'string') lines(message.stream);
        const failed = message.errorDetail?.message ?? message.error;
        if (failed) error = failed.trim();
      } catch {
        lines(text);
      }
    };
    stream.on('data', (chunk: Buffer) => {
      pending += chunk.toString('utf8');
      let newline: number;
      while ((newline = pending.indexOf('\n')) >= 0) {
        frame(pending.slice(0, newline));
        pending = pending.slice(newline + 1);
      }
    });
    const end = (err?: Error) => {
      frame(pending);
      pending = '';
      lines('', true);
      resolve(error ?? (err ? err.message : null));
    };
    stream.on('end', () => end());
    stream.on('error', (err: Error) => end(err));
    stream.on('close', () => end());
  });
}
