import { imageRefProblem } from './image-ref';

/** Docker Hub's registry, as Docker's reference normalization names it. */
export const DOCKER_HUB = 'docker.io';

/** The names Docker takes for Docker Hub (distribution/reference `legacyDefaultDomain`). */
const HUB_ALIASES = new Set([DOCKER_HUB, 'index.docker.io']);

/** A registry as `berth serve --allow-pull` takes it: a host name or `[IPv6]`, with an optional port. */
const REGISTRY =
  /^(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*|\[[a-f0-9:]+\])(?::[0-9]{1,5})?$/;

/** The parts of an image reference Docker pulls by: its registry, its repository (with the registry, as written), tag, digest. */
export interface ImageRefParts {
  /** The registry Docker contacts, normalized: `docker.io` for Docker Hub. */
  registry: string;
  /** The name as written (registry and path), without tag or digest. */
  name: string;
  tag?: string;
  digest?: string;
}

/**
 * The parts of `ref` as Docker's reference normalization reads it, or null when `ref` is not an
 * image reference (imageRefProblem): a hostile string (`docker.io@evil`, `a/../b`, an uppercase
 * path, a space) has no registry at all, so it can never be taken for an allowed one. The first
 * component is a registry only when it has a `.` or `:`, is `localhost`, or has an uppercase letter
 * (which no path may have); otherwise the registry is Docker Hub, as `index.docker.io` is.
 */
export function imageRefParts(ref: string): ImageRefParts | null {
  if (imageRefProblem(ref) !== null) return null;
  const at = ref.indexOf('@');
  const digest = at >= 0 ? ref.slice(at + 1) : undefined;
  const beforeDigest = at >= 0 ? ref.slice(0, at) : ref;
  // A ":" after the last "/" starts the tag; one before it is a registry's port.
  const slash = beforeDigest.lastIndexOf('/');
  const colon = beforeDigest.indexOf(':', slash + 1);
  const name = colon >= 0 ? beforeDigest.slice(0, colon) : beforeDigest;
  const tag = colon >= 0 ? beforeDigest.slice(colon + 1) : undefined;
  const firstSlash = name.indexOf('/');
  const first = firstSlash >= 0 ? name.slice(0, firstSlash) : '';
  const isHost = firstSlash >= 0 && (/[.:]/.test(first) || first === 'localhost' || first !== first.toLowerCase());
  const host = isHost ? first : DOCKER_HUB;
  return {
    registry: HUB_ALIASES.has(host) ? DOCKER_HUB : host,
    name,
    ...(tag !== undefined ? { tag } : {}),
    ...(digest !== undefined ? { digest } : {}),
  };
}

/** The registry Docker would pull `ref` from (`docker.io` for Docker Hub), or null when `ref` is not an image reference. */
export function imageRegistry(ref: string): string | null {
  return imageRefParts(ref)?.registry ?? null;
}

/**
 * `--allow-pull REGISTRY` as the agent keeps it, or why it is not a registry. A registry is
 * compared exactly, so it is kept lowercase (a host name with an uppercase letter is refused rather
 * than folded: a reference's registry is matched as written) and Docker Hub's other name becomes
 * `docker.io`. A scheme, a path or credentials are refused: only a host and its port name a registry.
 */
export function allowedRegistry(text: string): { registry: string } | { problem: string } {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(text)) {
    return { problem: 'give the registry as HOST[:PORT] without a scheme, such as registry.lab:5000' };
  }
  if (text.includes('/') || text.includes('@')) {
    return { problem: 'give only the registry host and port (no repository path, no credentials), such as docker.io' };
  }
  if (text !== text.toLowerCase()) return { problem: 'a registry host is written in lowercase' };
  if (!REGISTRY.test(text)) {
    return { problem: 'expected a registry HOST[:PORT], such as docker.io, mcr.microsoft.com or registry.lab:5000' };
  }
  const port = /:([0-9]+)$/.exec(text)?.[1];
  if (port !== undefined && (Number(port) < 1 || Number(port) > 65535)) {
    return { problem: `port ${port} is not from 1 to 65535` };
  }
  return { registry: HUB_ALIASES.has(text) ? DOCKER_HUB : text };
}

/**
 * The repositories Berth names its own images in on a host: builds (`berth-build/<owner>-<hash>`)
 * and sshd layers (`berth-sshd`). They are made there, never pulled: on Docker Hub anyone may own
 * the `berth-build` namespace, and a pulled image of such a name would pass for a user's build.
 */
export const BERTH_REPOSITORIES = { build: 'berth-build', sshdLayer: 'berth-sshd' } as const;

/** Whether `ref` is an image id (`sha256:…`, or 12 to 64 of its hex digits), which names an image on the host. */
const isImageId = (ref: string) => /^(?:sha256:)?[0-9a-f]{12,64}$/.test(ref);

/** Whether `parts` name one of {@link BERTH_REPOSITORIES} (on Docker Hub, as a local name resolves). */
function isBerthRepository(parts: ImageRefParts): boolean {
  if (parts.registry !== DOCKER_HUB) return false;
  const path = parts.name.replace(/^(?:docker\.io|index\.docker\.io)\//, '').replace(/^library\//, '');
  return Object.values(BERTH_REPOSITORIES).some((repo) => path === repo || path.startsWith(`${repo}/`));
}

/**
 * Whether the agent may pull `ref` when the host lacks it: its registry (imageRegistry) is one of
 * `allowed` exactly (`registry.lab` allows neither `registry.lab:5000` nor `x.registry.lab`). An
 * image id is never pulled, nor a name of Berth's own images ({@link BERTH_REPOSITORIES}).
 */
export function pullAllowed(ref: string, allowed: readonly string[]): boolean {
  if (isImageId(ref)) return false;
  const parts = imageRefParts(ref);
  return parts !== null && allowed.includes(parts.registry) && !isBerthRepository(parts);
}

/** What a refusal of an image the host lacks adds: how the admin lets the agent pull it. */
export function allowPullHint(ref: string): string {
  if (isImageId(ref)) return 'an image id names an image on this host, and none here has it; give its name instead';
  const parts = imageRefParts(ref);
  if (parts && isBerthRepository(parts)) {
    return 'Berth makes its builds and sshd layers on the host and never pulls them';
  }
  const registry = parts?.registry;
  return registry
    ? `the host's admin may let the agent pull from its registry (berth serve --allow-pull ${registry})`
    : `the host's admin may let the agent pull from a registry (berth serve --allow-pull REGISTRY)`;
}
