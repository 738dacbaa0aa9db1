import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { WorkspaceName } from '../../protocol';

/** Where a folder keeps its definition, in the order the devcontainer spec looks. */
const PLACES = [path.join('.devcontainer', 'devcontainer.json'), '.devcontainer.json'];

/** The definition files `folder` holds, in the order the spec looks (the first one is used). */
export async function definitionsIn(folder: string): Promise<string[]> {
  const found: string[] = [];
  for (const place of PLACES) {
    const file = path.join(folder, place);
    if ((await fs.stat(file).catch(() => null))?.isFile()) found.push(file);
  }
  return found;
}

/**
 * The definition to take without asking: the first one of the only open folder. Null when the user
 * must pick a file: no folder open, several folders (which one is theirs to say), or none in it.
 */
export async function definitionToUse(folders: readonly string[]): Promise<string | null> {
  const [only, ...more] = folders;
  if (only === undefined || more.length) return null;
  return (await definitionsIn(only))[0] ?? null;
}

/**
 * A valid workspace name made of a folder's name: accents dropped, lowercase, every run of other characters a
 * hyphen, starting with a letter, at most 63 characters; `workspace` when nothing of it is left.
 */
export function defaultWorkspaceName(folder: string): string {
  const name = path
    .basename(folder)
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^[^a-z]+/, '')
    .slice(0, 63)
    .replace(/-+$/, '');
  return WorkspaceName.safeParse(name).success ? name : 'workspace';
}
