import * as path from 'node:path';
import { stringify } from 'yaml';
import type { Definition } from '../../client/devcontainer';
import { portOf, sizeText, volumeOf } from './render';

/** What `berth init --from-devcontainer` writes, and the lines it says about what the file cannot hold. */
export interface Derived {
  text: string;
  /** `property: not carried: why` for what the definition has and a workspace.yaml has no key for. */
  notCarried: string[];
}

/**
 * The workspace.yaml of a translated devcontainer.json (the translation `berth create --devcontainer`
 * uses, so both make the same workspace): image or `build:` (its folder relative to `file`, where the
 * yaml is written), resources, env, user, ports and volumes. The lifecycle commands and optional GPUs
 * have no key in the format: they are listed in {@link Derived.notCarried}, not dropped silently.
 */
export function workspaceFileOf(name: string, definition: Definition, file: string): Derived {
  const { spec, build } = definition;
  const doc: Record<string, unknown> = { name };
  if (build) {
    const context = path
      .relative(path.dirname(path.resolve(file)), build.contextDir)
      .split(path.sep)
      .join('/');
    doc.build = {
      context: context || '.',
      ...(build.dockerfile !== undefined && build.dockerfile !== 'Dockerfile' ? { dockerfile: build.dockerfile } : {}),
      ...(build.args && Object.keys(build.args).length ? { args: build.args } : {}),
      ...(build.target !== undefined ? { target: build.target } : {}),
    };
  } else if (spec.image !== undefined) doc.image = spec.image;
  const resources: Record<string, unknown> = {};
  if (spec.cpus !== undefined) resources.cpus = spec.cpus;
  if (spec.memory !== undefined) resources.memory = sizeText(spec.memory);
  if (spec.gpus !== undefined) resources.gpus = spec.gpus;
  if (spec.gpuMemory !== undefined) resources.gpuMemory = sizeText(spec.gpuMemory);
  if (Object.keys(resources).length) doc.resources = resources;
  if (spec.env && Object.keys(spec.env).length) doc.env = spec.env;
  if (spec.user !== undefined) doc.user = spec.user;
  if (spec.forwardPorts?.length) doc.ports = spec.forwardPorts.map(portOf);
  if (spec.volumes?.length) doc.volumes = spec.volumes.map(volumeOf);

  const notCarried: string[] = [];
  const keep = 'workspace.yaml has no key for it; create from the devcontainer.json (--devcontainer) to keep it';
  for (const [stage, command] of Object.entries(spec.lifecycle ?? {})) {
    if (command !== undefined && stage !== 'waitFor') notCarried.push(`${stage}: not carried: ${keep}`);
  }
  if (spec.gpusOptional) {
    notCarried.push(`hostRequirements.gpu "optional": not carried (the GPUs become required): ${keep}`);
  }
  const header = [
    `# A Berth workspace derived from ${definition.located.file}`,
    '# (berth init --from-devcontainer). Create or update it with: berth apply -f ' + path.basename(file),
    ...notCarried.map((line) => `# ${line}`),
    '',
  ].join('\n');
  return { text: `${header}${stringify(doc, { lineWidth: 0 })}`, notCarried };
}
