import { existsSync } from 'node:fs';
import * as path from 'node:path';
import type { BuildRecord } from '../protocol';
import type { AgentClient } from '../client/agent-client';
import { buildImage, type BuildInput } from '../client/build';
import { UsageError } from './args';
import { formatSize } from './format';

/** The options of a build on the host (`berth create --build`). */
export const BUILD_OPTIONS = {
  build: { type: 'string' },
  dockerfile: { type: 'string' },
  'build-arg': { type: 'string', multiple: true },
  target: { type: 'string' },
} as const;

export const BUILD_USAGE = '[--build DIR [--dockerfile FILE] [--build-arg KEY=VALUE]... [--target STAGE]]';

/**
 * What `--build DIR` and its companions ask for; null without `--build`. `--dockerfile` is a path as
 * `docker build -f` takes it (from the current folder), or one inside DIR; either way it must lie
 * inside DIR, which is what is sent.
 */
export function buildFlags(
  values: { build?: string; dockerfile?: string; 'build-arg'?: string[]; target?: string },
  usage: string,
): BuildInput | null {
  if (values.build === undefined) {
    for (const flag of ['dockerfile', 'build-arg', 'target'] as const) {
      if (values[flag] !== undefined) throw new UsageError(`--${flag} goes with --build DIR`, usage);
    }
    return null;
  }
  const contextDir = path.resolve(values.build);
  const input: BuildInput = { contextDir };
  if (values.dockerfile !== undefined) {
    const fromHere = path.resolve(values.dockerfile);
    const file =
      existsSync(fromHere) || path.isAbsolute(values.dockerfile) ? fromHere : path.join(contextDir, values.dockerfile);
    const inside = path.relative(contextDir, file);
    if (!inside || inside.startsWith('..') || path.isAbsolute(inside)) {
      throw new UsageError(
        `--dockerfile ${values.dockerfile}: must be a file inside the build folder ${values.build}`,
        usage,
      );
    }
    input.dockerfile = inside.split(path.sep).join('/');
  }
  if (values['build-arg']) {
    input.args = {};
    for (const pair of values['build-arg']) {
      const eq = pair.indexOf('=');
      if (eq <= 0) throw new UsageError(`--build-arg ${pair}: expected KEY=VALUE`, usage);
      input.args[pair.slice(0, eq)] = pair.slice(eq + 1);
    }
  }
  if (values.target !== undefined) input.target = values.target;
  return input;
}

/**
 * Builds on the host with the log and the upload on stderr (unless `quiet`), and returns what the
 * spec takes: the image and how it was built.
 */
export async function buildForSpec(
  client: AgentClient,
  input: BuildInput,
  quiet: boolean,
  signal: AbortSignal,
): Promise<{ image: string; build: BuildRecord }> {
  const say = (text: string) => quiet || process.stderr.write(text);
  let phase = '';
  const built = await buildImage(client, input, {
    signal,
    onLog: (text) => say(text),
    onProgress: ({ phase: now, total }) => {
      if (now === phase) return;
      phase = now;
      say(now === 'uploading' ? `  sending the build context (${formatSize(total)})\n` : '  building\n');
    },
  });
  say(built.cached ? `  ${built.image}: built before from the same files; reused\n` : `  built ${built.image}\n`);
  return { image: built.image, build: built.build };
}
