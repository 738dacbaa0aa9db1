import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import type Docker from 'dockerode';
import { BerthError, FEATURES_BASE_LABEL, type BuildDefinition } from '../../protocol';
import { BERTH_REPOSITORIES } from '../../protocol/image-registry';
import { errorMessage, type Logger } from '../../util/log';
import { runtimeError, statusCode } from '../runtime/docker-errors';
import { BuildLog } from './build-log';
import { buildLimitOptions, DEFAULT_BUILD_LIMITS, type BuildLimits } from '../runtime/build-limits';
import { dockerClient } from '../runtime/docker-client';
import { checkedContext } from './dockerfile-check';
import { pullIfAllowed } from '../runtime/image-pull';

/**
 * The one label of a built image: `<agent id> <owner>`. One, not two: the classic builder runs each
 * label as a step of its own (a container each, about a quarter of a second apiece). Its value is
 * the same for all of an owner's builds, so that Docker's cache answers that step whenever the steps
 * before it were cached (a changed file the Dockerfile never copies); the build's hash is in its tag.
 */
export const BUILD_LABEL = 'dev.berth.build';

/** The {@link BUILD_LABEL} value of `owner`'s builds on agent `agentId`. */
const buildLabel = (agentId: string, owner: string) => `${agentId} ${owner}`;

/** The repository every built image is tagged in. */
export const BUILD_REPOSITORY = BERTH_REPOSITORIES.build;

/** How every tag of `owner`'s builds starts: `berth-build/<owner>-` (a hash for a name Docker would refuse). */
export function buildPrefix(owner: string): string {
  const slug = COMPONENT.test(owner) ? owner : `u${createHash('sha256').update(owner).digest('hex').slice(0, 12)}`;
  return `${BUILD_REPOSITORY}/${slug}-`;
}

/** One path component of a Docker repository (a user name such as `_x` or `a_-b` is not one). */
const COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|[-]*)[a-z0-9]+)*$/;

/** What one build is made of. */
export interface BuildRequest {
  owner: string;
  /**
   * The build's hash; a promise when it follows the context (`hashLast`, protocol/build.ts): the
   * image is then built untagged and tagged once both the build and the hash are in.
   */
  hash: string | Promise<string>;
  definition: BuildDefinition;
  /** The context as a tar stream. */
  context: Readable;
  signal: AbortSignal;
  onLog: (text: string) => void;
}

/**
 * Builds images from client contexts with Docker's build API (the classic builder: the engine takes
 * the context as a tar in the request body) and removes this agent's builds nobody uses any more.
 *
 * A build is tagged `berth-build/<owner>-<hash>:<agent id>` (the whole hash) and labelled with the
 * agent and the owner: owner-scoped, so one user's cache answer never says what another user built
 * (a hit would tell bob that alice built exactly those files), and a client-chosen hash can poison
 * only its own user's cache; the agent id keeps agents that share an engine from removing each
 * other's builds. Docker's layer cache is shared anyway, so a second user's identical build is quick.
 */
export class ImageBuilder {
  private readonly docker: Docker;

  constructor(
    socketPath: string,
    private readonly agentId: string,
    /** Whether some workspace's spec names this image. */
    private readonly inUse: (image: string) => boolean,
    private readonly log: Logger,
    /** What each build step may use: a workspace's default size (a RUN step is the user's code). */
    private readonly limits: BuildLimits = DEFAULT_BUILD_LIMITS,
    /** The registries a base image the host lacks may be pulled from (`berth serve --allow-pull`). */
    private readonly allowPull: readonly string[] = [],
  ) {
    this.docker = dockerClient(socketPath);
  }

  /** The local reference of `owner`'s build of `hash`. */
  tag(owner: string, hash: string): string {
    return `${buildPrefix(owner)}${hash}:${this.agentId}`;
  }

  /**
   * Whether `tag` names one of `owner`'s builds on this agent: their prefix, a hash (another's name
   * may start with theirs; 16 digits in the builds of agents before 2026-12), then this agent's id.
   * Another agent's builds on a shared engine are that agent's to use and remove.
   */
  isOwnTag(tag: string, owner: string): boolean {
    const prefix = buildPrefix(owner);
    return (
      tag.startsWith(prefix) &&
      /^(?:[0-9a-f]{64}|[0-9a-f]{16})$/.test(tag.slice(prefix.length, tag.lastIndexOf(':'))) &&
      tag.endsWith(`:${this.agentId}`)
    );
  }

  /** Whether `tag` is this agent's build of `hash` for `owner` (its label says so, not only its name). */
  async has(tag: string, owner: string, hash: string): Promise<boolean> {
    if (tag !== this.tag(owner, hash)) return false;
    const labels = await this.labels(tag);
    return labels?.[BUILD_LABEL] === buildLabel(this.agentId, owner);
  }

  /**
   * Builds and tags the image; resolves once it is tagged. Cancelling (`signal`) aborts the request,
   * which makes Docker stop the build and remove its intermediate containers: nothing is tagged.
   */
  async build({ owner, hash, definition, context, signal, onLog }: BuildRequest): Promise<string> {
    const known = typeof hash === 'string' ? this.tag(owner, hash) : null;
    const abort = new AbortController();
    const onAbort = () => abort.abort();
    signal.addEventListener('abort', onAbort, { once: true });
    const log = new BuildLog(onLog);
    // A Dockerfile refused as the context passes (dockerfile-check.ts) ends the build.
    const refusal: { error?: Error } = {};
    try {
      const checked = checkedContext(context, definition.dockerfile, {
        args: definition.args,
        look: (ref) => this.lookOrPull(ref, onLog, signal),
      });
      checked.once('error', (err) => {
        refusal.error = err;
        abort.abort();
      });
      const response = await this.docker.buildImage(checked, {
        ...(known ? { t: known } : {}),
        dockerfile: definition.dockerfile,
        buildargs: definition.args,
        ...(definition.target ? { target: definition.target } : {}),
        labels: { [BUILD_LABEL]: buildLabel(this.agentId, owner) },
        rm: true,
        forcerm: true,
        // Each step's container gets the limits of a default workspace, swap included.
        ...buildLimitOptions(this.limits),
        abortSignal: abort.signal,
      });
      await log.read(response as Readable, signal);
    } catch (err) {
      if (refusal.error) throw refusal.error;
      if (signal.aborted) throw new BerthError('cancelled', 'the build was cancelled; nothing was tagged');
      if (err instanceof BerthError) throw err;
      throw runtimeError('build the image', err);
    } finally {
      signal.removeEventListener('abort', onAbort);
    }
    if (refusal.error) throw refusal.error;
    if (signal.aborted) throw new BerthError('cancelled', 'the build was cancelled; nothing was tagged');
    const final = await hash;
    // Cancelled while the hash was checked (the host has that build already): nothing is tagged.
    if (signal.aborted) throw new BerthError('cancelled', 'the build was cancelled; nothing was tagged');
    const tag = this.tag(owner, final);
    if (!known) await this.tagBuilt(log.imageId, tag, buildLabel(this.agentId, owner));
    if (!(await this.has(tag, owner, final))) {
      throw new BerthError('runtime_error', `Docker ended the build without tagging ${tag}; see the build log above`);
    }
    return tag;
  }

  /** Tags the image Docker built (`id`, from its build log) as `tag`, once its label says it is this build's. */
  private async tagBuilt(id: string | null, tag: string, label: string): Promise<void> {
    if (!id) {
      throw new BerthError(
        'runtime_error',
        `Docker ended the build without naming the image it made; see the build log above`,
      );
    }
    if ((await this.labels(id))?.[BUILD_LABEL] !== label) {
      throw new BerthError('runtime_error', `the image Docker named (${id}) is not this build's; nothing was tagged`);
    }
    const colon = tag.lastIndexOf(':');
    try {
      await this.docker.getImage(id).tag({ repo: tag.slice(0, colon), tag: tag.slice(colon + 1) });
    } catch (err) {
      throw runtimeError(`tag the built image ${id} as ${tag}`, err);
    }
  }

  /** Removes `image` when it is one of this agent's builds and no workspace names it (in the background). */
  release(image: string): void {
    if (!image.startsWith(`${BUILD_REPOSITORY}/`) || this.inUse(image)) return;
    void this.remove(image).catch((err: unknown) =>
      this.log.warn(`could not remove the unused build ${image}: ${errorMessage(err)}`),
    );
  }

  private async remove(image: string): Promise<void> {
    const labels = await this.labels(image);
    if (!labels?.[BUILD_LABEL]?.startsWith(`${this.agentId} `) || this.inUse(image)) return;
    try {
      await this.docker.getImage(image).remove();
      this.log.info(`removed the build ${image}: no workspace uses it any more`);
    } catch (err) {
      // 409: a container made outside Berth still uses it; it stays until that one goes.
      if (statusCode(err) !== 404 && statusCode(err) !== 409) throw err;
      return;
    }
    // A features build names the build it went on (client/features): that one goes too, when it is
    // the same owner's and no workspace names it.
    const owner = labels[BUILD_LABEL]?.split(' ')[1] ?? '';
    const base = labels[FEATURES_BASE_LABEL];
    if (!base || !owner || !base.startsWith(buildPrefix(owner)) || !base.endsWith(`:${this.agentId}`)) return;
    // Another features build on the same base (a rebuild's) still stands on it: it stays.
    const others = await this.docker.listImages({ filters: { label: [`${FEATURES_BASE_LABEL}=${base}`] } });
    if (!others.length) this.release(base);
  }

  /**
   * {@link look}, and when the host lacks `ref` but its registry is allowed (`--allow-pull`), the
   * same after pulling it, the pull's steps in the build log. Null: the host lacks it and may not pull it.
   */
  private async lookOrPull(
    ref: string,
    onLog: (text: string) => void,
    signal: AbortSignal,
  ): Promise<{ onBuild: string[]; platform: string } | null> {
    const found = await this.look(ref);
    if (found) return found;
    const pulled = await pullIfAllowed(this.docker, ref, this.allowPull, (line) => onLog(`${line}\n`), signal);
    return pulled ? this.look(ref) : null;
  }

  /** The image `ref` on the host, with its ONBUILD triggers and `os/arch`; null when the host lacks it (a build would pull it). */
  private async look(ref: string): Promise<{ onBuild: string[]; platform: string } | null> {
    try {
      const info = await this.docker.getImage(ref).inspect();
      const triggers: unknown = info.Config?.OnBuild;
      return {
        onBuild: Array.isArray(triggers) ? triggers.map(String) : [],
        platform: `${info.Os}/${info.Architecture}`.toLowerCase(),
      };
    } catch (err) {
      if (statusCode(err) === 404) return null;
      throw runtimeError(`look for the image ${ref}`, err);
    }
  }

  private async labels(image: string): Promise<Record<string, string> | null> {
    try {
      const info = await this.docker.getImage(image).inspect();
      return info.Config?.Labels ?? {};
    } catch (err) {
      if (statusCode(err) === 404) return null;
      throw runtimeError(`inspect the image ${image}`, err);
    }
  }
}
