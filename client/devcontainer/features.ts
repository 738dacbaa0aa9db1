import * as path from 'node:path';
import { BerthError, isDockerInDockerFeature, type WorkspaceSpecInput } from '../../protocol';
import type { BuildInput, FeatureRequest } from '../build-send';
import { givenOptions } from '../features/metadata';
import type { JsoncDocument } from './jsonc';

type Report = (at: string, message: string) => void;
type Text = (raw: unknown, at: (string | number)[], what: string) => string | undefined;

/**
 * `features` and `overrideFeatureInstallOrder`: the Docker-in-Docker feature becomes `docker: true`
 * (protocol/docker-in-docker.ts); every other feature goes into the build, on top of the
 * definition's `build` or its `image` (which then becomes the features' base, built on the host).
 * Option strings get the definition's variables; the features' folders are read when built.
 */
export function readFeatures(
  doc: JsoncDocument,
  out: { spec: Pick<WorkspaceSpecInput, 'image' | 'docker'>; build?: BuildInput },
  user: string,
  text: Text,
  refuse: Report,
): void {
  const raw = doc.value.features;
  const order = doc.value.overrideFeatureInstallOrder;
  if (raw === undefined || (raw && typeof raw === 'object' && !Array.isArray(raw) && !Object.keys(raw).length)) {
    if (order !== undefined) {
      refuse(
        doc.at(['overrideFeatureInstallOrder']),
        'overrideFeatureInstallOrder: there are no features to order; remove it',
      );
    }
    return;
  }
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) {
    return void refuse(
      doc.at(['features']),
      'features must be an object of FEATURE: { options }, such as { "./my-feature": {} }',
    );
  }
  const features: FeatureRequest[] = [];
  for (const [key, value] of Object.entries(raw)) {
    if (isDockerInDockerFeature(key)) {
      out.spec.docker = true;
      continue;
    }
    try {
      const options = givenOptions(value, key);
      for (const [id, option] of Object.entries(options)) {
        if (typeof option !== 'string') continue;
        const resolved = text(option, ['features', key, id], `features."${key}".${id}`);
        if (resolved === undefined) return;
        options[id] = resolved;
      }
      features.push({ key, options });
    } catch (err) {
      if (!(err instanceof BerthError)) throw err;
      refuse(doc.at(['features', key]), err.message);
    }
  }
  let installOrder: string[] | undefined;
  if (order !== undefined) {
    if (!Array.isArray(order) || order.some((id) => typeof id !== 'string')) {
      return void refuse(
        doc.at(['overrideFeatureInstallOrder']),
        'overrideFeatureInstallOrder must be a list of feature ids',
      );
    }
    installOrder = order as string[];
  }
  if (!features.length) return;
  const definitionDir = path.dirname(doc.file);
  const input = { definitionDir, features, installOrder, user };
  if (out.build) out.build.features = input;
  else if (out.spec.image !== undefined) {
    out.build = { contextDir: definitionDir, features: { ...input, baseImage: out.spec.image } };
    delete out.spec.image;
  } else {
    refuse(
      doc.at(['features']),
      'features: refused: they install on an image; name one with image (or build), such as "image": "berth-workspace:latest"',
    );
  }
}
