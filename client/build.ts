import type { AgentClient } from './agent-client';
import { scanBuild, sendBuild, type BuildHooks, type BuildInput, type BuiltImage } from './build-send';
import { buildWithFeatures } from './features/build';

export { readBuild } from './build-send';
export type { BuildHooks, BuildInput, BuiltImage, FeatureRequest, FeaturesInput } from './build-send';

/**
 * Builds `input` on the host of `client` (`image.build`) and resolves with the image: the folder's
 * build (hashed first where the digest cache knows every file: an unchanged one is a cache hit,
 * nothing sent; else hashed as it is sent), then, when the input
 * names devcontainer features, a second build of them on top of it (or on their base image).
 */
export async function buildImage(client: AgentClient, input: BuildInput, hooks: BuildHooks = {}): Promise<BuiltImage> {
  if (input.features) return buildWithFeatures(client, { ...input, features: input.features }, hooks);
  return sendBuild(client, await scanBuild(input), hooks);
}
