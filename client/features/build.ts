import { BerthError, BuildDefinition, type StoredFeature } from '../../protocol';
import type { AgentClient } from '../agent-client';
import { contextHash, contextSize, type ScannedContext } from '../build-context';
import {
  scanBuild,
  sendBuild,
  type BuildHooks,
  type BuildInput,
  type BuiltImage,
  type FeatureRequest,
  type FeaturesInput,
} from '../build-send';
import { featuresContext, type PlannedFeature } from './dockerfile';
import { readFeatureTarball, readLocalFeature, type FeatureFolder } from './local';
import { optionEnv } from './metadata';
import { installOrder } from './order';

/** Whether a `features` key is a local folder (`./x`, `../x`: relative to devcontainer.json). */
export const isLocalFeature = (key: string) => key.startsWith('./') || key.startsWith('../');

/** The one error for the features the host's store lacks, naming each and who can add them. */
export function missingFeaturesError(missing: readonly string[]): BerthError {
  const one = missing.length === 1;
  return new BerthError(
    'not_found',
    `${one ? 'the feature' : 'the features'} ${missing.join(', ')} cannot be resolved offline: this host's feature store lacks ${one ? 'it' : 'them'}; ` +
      `ask an admin of the host to import ${one ? 'it' : 'each'} from ${one ? 'its' : 'their'} published tarball (devcontainer-feature-<id>.tgz, the one layer of the feature's OCI artifact, as oras pull saves it); ` +
      `an admin does so with berth feature import REF FILE; or use a local feature folder (./my-feature) instead`,
    { missing },
  );
}

/** The store's name of an OCI feature key: its tag or digest, else `:latest` (the spec's implicit tag). */
export function storeRef(key: string): string {
  const last = key.split('/').pop() ?? '';
  return /(:[\w.-]+|@sha256:[0-9a-f]{64})$/i.test(last) ? key : `${key}:latest`;
}

/** Reads every feature of `features`: local folders from disk, the others from the host's store (all missing ones named at once). */
async function readFeatures(
  client: AgentClient,
  features: FeaturesInput,
): Promise<{ request: FeatureRequest; folder: FeatureFolder; stored?: StoredFeature }[]> {
  const read: { request: FeatureRequest; folder: FeatureFolder; stored?: StoredFeature }[] = [];
  const missing: string[] = [];
  for (const request of features.features) {
    if (isLocalFeature(request.key)) {
      read.push({ request, folder: await readLocalFeature(features.definitionDir, request.key) });
      continue;
    }
    const { feature, tarball } = await client.request('feature.get', { ref: storeRef(request.key) });
    if (!feature || tarball === null) {
      missing.push(request.key);
      continue;
    }
    read.push({
      request,
      folder: await readFeatureTarball(Buffer.from(tarball, 'base64'), request.key),
      stored: feature,
    });
  }
  if (missing.length) throw missingFeaturesError(missing);
  return read;
}

/**
 * The features of `features` planned for `base`: read, their options computed, in the spec's install
 * order; with the build's definition, context (every feature file, the generated Dockerfile) and hash.
 */
export async function planFeatures(
  client: AgentClient,
  features: FeaturesInput,
  base: string,
): Promise<{ planned: PlannedFeature[]; definition: BuildDefinition; context: ScannedContext }> {
  const read = await readFeatures(client, features);
  const items = read.map(({ request, folder }) => ({
    key: request.key,
    id: folder.metadata.id,
    installsAfter: folder.metadata.installsAfter ?? [],
    dependsOn: Object.keys(folder.metadata.dependsOn ?? {}),
    planned: {
      key: request.key,
      metadata: folder.metadata,
      env: optionEnv(folder.metadata, request.options, request.key),
      files: folder.files,
    },
  }));
  const planned = installOrder(items, features.installOrder ?? []).map((item) => item.planned);
  const definition = BuildDefinition.parse({ dockerfile: 'Dockerfile', args: {} });
  const entries = featuresContext(base, planned, features.user);
  return {
    planned,
    definition,
    context: {
      dir: features.definitionDir,
      entries,
      size: contextSize(entries),
      hash: contextHash(definition, entries),
      definition,
    },
  };
}

/**
 * Builds `input`'s base (its folder's build, or its features' base image as it is), then its
 * features on top as a second build through the same `image.build` (named by its own hash: same
 * features on the same base, a cache hit). The record is the base build's with the features'
 * hash: `berth rebuild` reads the definition again (spec.devcontainer) to make it anew.
 */
export async function buildWithFeatures(
  client: AgentClient,
  input: BuildInput & { features: FeaturesInput },
  hooks: BuildHooks,
): Promise<BuiltImage> {
  const { features, ...rest } = input;
  let base = features.baseImage;
  let record = {
    context: features.definitionDir,
    dockerfile: 'Dockerfile',
    args: {} as Record<string, string>,
  };
  if (base === undefined) {
    const built = await sendBuild(client, await scanBuild(rest), hooks);
    hooks.onLog?.(
      built.cached ? `${built.image}: built before from the same files; reused\n` : `built ${built.image}\n`,
    );
    base = built.image;
    record = built.build;
  }
  const { planned, context } = await planFeatures(client, features, base);
  hooks.onLog?.(`installing features on ${base}: ${planned.map((feature) => feature.key).join(', ')}\n`);
  return sendBuild(client, { context, record }, hooks);
}
