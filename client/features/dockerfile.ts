import { createHash } from 'node:crypto';
import { BerthError, FEATURES_BASE_LABEL, ImageRef, type FeatureMetadata } from '../../protocol';
import type { ContextEntry } from '../build-context';

/** A feature ready to install: where its files go in the context, its metadata and install.sh's options. */
export interface PlannedFeature {
  key: string;
  metadata: FeatureMetadata;
  /** Its options as environment variables (see optionEnv). */
  env: Record<string, string>;
  files: ContextEntry[];
}

/** Where the features' files lie in the image while they install (removed after). */
export const FEATURES_DIR = '/tmp/berth-features';

/** `text` as one shell word: single-quoted, a `'` inside written `'\''`. */
export const shellQuote = (text: string) => `'${text.replace(/'/g, `'\\''`)}'`;

/** `NAME='value'` lines, as the spec's `devcontainer-features.env` (sourced with `set -a`). */
function envFile(env: Record<string, string>): Buffer {
  return Buffer.from(
    Object.entries(env)
      .map(([name, value]) => `${name}=${shellQuote(value)}\n`)
      .join(''),
  );
}

/** A containerEnv value in a Dockerfile's `ENV NAME="…"`: `${PATH}` still expands, as the spec means it. */
function envValue(name: string, value: string, key: string): string {
  if (/[\r\n]/.test(value)) {
    throw new BerthError(
      'invalid_params',
      `feature ${key}: containerEnv.${name} holds a line break, which ENV cannot carry`,
    );
  }
  return `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

/** The folder of the `index`th feature in the context and in the image (`1-node`). */
export const featureFolder = (index: number, metadata: FeatureMetadata) => `${index + 1}-${metadata.id}`;

/**
 * The Dockerfile that installs `features` (in that order) on `base`, as the devcontainers CLI does:
 * as root, each feature's files copied in, its `containerEnv` as ENV before it runs, then
 * `install.sh` run directly (its own shebang) with `devcontainer-features.env` (its options) and
 * `devcontainer-features.builtin.env` (`_REMOTE_USER`, `_CONTAINER_USER` and their homes) sourced,
 * one layer each; the files removed. The USER stays root: Berth starts its containers as root anyway.
 */
export function featuresDockerfile(base: string, features: readonly PlannedFeature[]): string {
  const ref = ImageRef.safeParse(base);
  if (!ref.success || /\s/.test(base)) {
    throw new BerthError('invalid_params', `${JSON.stringify(base)} is not an image reference to install features on`);
  }
  const lines = [`FROM ${base}`, 'USER root'];
  features.forEach((feature, index) => {
    const folder = featureFolder(index, feature.metadata);
    lines.push(`# ${feature.key}${feature.metadata.version ? ` ${feature.metadata.version}` : ''}`);
    lines.push(`COPY features/${folder}/ ${FEATURES_DIR}/${folder}/`);
    const env = Object.entries(feature.metadata.containerEnv ?? {});
    if (env.length) {
      lines.push(`ENV ${env.map(([name, value]) => `${name}=${envValue(name, value, feature.key)}`).join(' ')}`);
    }
    lines.push(
      `RUN cd ${FEATURES_DIR}/${folder} && set -a && . ./devcontainer-features.builtin.env && . ./devcontainer-features.env && set +a && chmod +x ./install.sh && ./install.sh`,
    );
  });
  lines.push(`RUN rm -rf ${FEATURES_DIR}`);
  // The agent removes a built base with the features build on it, once no workspace names either.
  if (base.startsWith('berth-build/')) lines.push(`LABEL ${FEATURES_BASE_LABEL}=${base}`);
  return `${lines.join('\n')}\n`;
}

/**
 * The build context of the features: `Dockerfile`, then under `features/<n>-<id>/` each feature's
 * files with its two env files (which replace any the feature ships). `user` is the workspace user.
 */
export function featuresContext(base: string, features: readonly PlannedFeature[], user: string): ContextEntry[] {
  const mtime = new Date(0);
  const made = (name: string, data: Buffer): ContextEntry => ({
    name,
    type: 'file',
    mode: 0o644,
    mtime,
    size: data.length,
    data,
    digest: createHash('sha256').update(data).digest('hex'),
  });
  const home = `/home/${user}`;
  const builtin = { _REMOTE_USER: user, _REMOTE_USER_HOME: home, _CONTAINER_USER: user, _CONTAINER_USER_HOME: home };
  const entries: ContextEntry[] = [
    made('Dockerfile', Buffer.from(featuresDockerfile(base, features))),
    { name: 'features', type: 'directory', mode: 0o755, mtime, size: 0 },
  ];
  features.forEach((feature, index) => {
    const folder = `features/${featureFolder(index, feature.metadata)}`;
    entries.push({ name: folder, type: 'directory', mode: 0o755, mtime, size: 0 });
    const generated = new Set(['devcontainer-features.env', 'devcontainer-features.builtin.env']);
    for (const file of feature.files) {
      if (!generated.has(file.name)) entries.push({ ...file, name: `${folder}/${file.name}` });
    }
    entries.push(made(`${folder}/devcontainer-features.env`, envFile(feature.env)));
    entries.push(made(`${folder}/devcontainer-features.builtin.env`, envFile(builtin)));
  });
  return entries;
}
