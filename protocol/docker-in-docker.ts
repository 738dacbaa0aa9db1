/**
 * Docker-in-Docker (issue 13) as devcontainer.json asks for it: the well-known feature
 * `ghcr.io/devcontainers/features/docker-in-docker` means the spec's `docker: true`. (Its other
 * half, installing Docker into the image, is the image's: a workspace whose image has no dockerd
 * fails to start with a message saying so.) `docker-outside-of-docker` and `docker-from-docker`
 * hand the host's Docker socket in instead, which Berth never does: they are not this feature.
 */

/** The ids the feature is published under, without a tag or digest; the bare name is its old short form. */
const DOCKER_IN_DOCKER_IDS = new Set([
  'ghcr.io/devcontainers/features/docker-in-docker',
  'mcr.microsoft.com/devcontainers/features/docker-in-docker',
  'docker-in-docker',
]);

/** Whether a devcontainer `features` key (any version: `:2`, `:latest`, `@sha256:…`) is the Docker-in-Docker feature. */
export function isDockerInDockerFeature(id: string): boolean {
  const bare = id
    .trim()
    .toLowerCase()
    .replace(/@sha256:[0-9a-f]+$/, '')
    .replace(/:[\w.-]+$/, '');
  return DOCKER_IN_DOCKER_IDS.has(bare);
}

/**
 * The spec fields a devcontainer.json's `features` object asks for through the Docker-in-Docker
 * feature (`{ docker: true }`, with the key that asked), or null when it names no such feature. The
 * feature's options (`version`, `moby`…) choose what to install, which is the image's: none changes
 * the result. The agent still refuses it where its admin has not allowed Docker inside.
 */
export function dockerInDockerFromFeatures(features: unknown): { docker: true; feature: string } | null {
  if (!features || typeof features !== 'object' || Array.isArray(features)) return null;
  const feature = Object.keys(features).find(isDockerInDockerFeature);
  return feature === undefined ? null : { docker: true, feature };
}
