import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { BerthError } from '../../protocol';

/** Where a definition was found: the file, and the project folder it belongs to. */
export interface Located {
  /** The devcontainer.json, absolute. */
  file: string;
  /** The project folder (`${localWorkspaceFolder}`): the folder above `.devcontainer`, or the file's own. */
  workspaceFolder: string;
}

/** The largest definition read (a devcontainer.json is a few kilobytes). */
export const MAX_DEFINITION_BYTES = 1024 * 1024;

/**
 * Finds the definition `given` names: a folder holding `.devcontainer/devcontainer.json` or
 * `.devcontainer.json` (looked for in that order, as the spec does), or the file itself.
 * `not_found` saying where it looked otherwise.
 */
export async function locateDefinition(given: string, cwd = process.cwd()): Promise<Located> {
  const target = path.resolve(cwd, given);
  const stat = await fs.stat(target).catch(() => null);
  if (!stat) {
    throw new BerthError(
      'not_found',
      `${given}: no such file or folder; name a devcontainer.json or the folder that holds it`,
    );
  }
  if (stat.isFile()) return { file: target, workspaceFolder: projectFolder(target) };
  if (!stat.isDirectory()) throw new BerthError('invalid_params', `${given}: not a file or folder`);
  const candidates = [path.join(target, '.devcontainer', 'devcontainer.json'), path.join(target, '.devcontainer.json')];
  for (const file of candidates) {
    if ((await fs.stat(file).catch(() => null))?.isFile()) return { file, workspaceFolder: target };
  }
  throw new BerthError(
    'not_found',
    `${given}: holds neither .devcontainer/devcontainer.json nor .devcontainer.json; name the file itself if it lives elsewhere`,
  );
}

/** Reads the definition's text, refusing one too large to be a definition. */
export async function readDefinition(file: string): Promise<string> {
  const stat = await fs.stat(file);
  if (stat.size > MAX_DEFINITION_BYTES) {
    throw new BerthError(
      'invalid_params',
      `${file}: ${stat.size} bytes is too large for a devcontainer.json (1 MiB at most)`,
    );
  }
  return fs.readFile(file, 'utf8');
}

/**
 * The project folder of a definition file: the parent of the nearest `.devcontainer` folder above it
 * (`.devcontainer/devcontainer.json`, `.devcontainer/python/devcontainer.json`), else its own folder
 * (`.devcontainer.json`, or a file anywhere else).
 */
export function projectFolder(file: string): string {
  const dir = path.dirname(file);
  for (let up = dir; ; up = path.dirname(up)) {
    if (path.basename(up) === '.devcontainer') return path.dirname(up);
    if (path.dirname(up) === up) break;
  }
  return dir;
}
