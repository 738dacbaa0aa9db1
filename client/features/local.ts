import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { BerthError, MAX_FEATURE_CONTENT_BYTES, MAX_FEATURE_ENTRIES, type FeatureMetadata } from '../../protocol';
import { readTarSafely, TarProblem } from '../../util/safe-tar';
import { digestOf, type ContextEntry } from '../build-context';
import { parseFeatureMetadata } from './metadata';
import { createHash } from 'node:crypto';

/** A feature's folder, read: its metadata and its files as context entries (names relative to the folder). */
export interface FeatureFolder {
  metadata: FeatureMetadata;
  files: ContextEntry[];
}

/** Whether `inner` (absolute) lies inside `outer` (absolute) or is it. */
const inside = (outer: string, inner: string) => {
  const rel = path.relative(outer, inner);
  return !rel.startsWith('..') && !path.isAbsolute(rel);
};

/** The metadata and the presence of install.sh among `files`, `where` naming the feature in messages. */
function checkFiles(files: ContextEntry[], metadataText: () => Promise<Buffer>, where: string) {
  const names = new Map(files.map((file) => [file.name, file]));
  for (const required of ['devcontainer-feature.json', 'install.sh']) {
    if (names.get(required)?.type !== 'file') {
      throw new BerthError(
        'invalid_params',
        `${where}: has no ${required}; a feature is a folder holding devcontainer-feature.json and install.sh`,
      );
    }
  }
  return metadataText().then((text) => parseFeatureMetadata(text, `${where}/devcontainer-feature.json`));
}

/**
 * Reads the local feature `key` (`./my-feature`, relative to the definition's folder `definitionDir`):
 * it must stay inside that folder (its real path too: a folder that is a link out is refused), hold
 * devcontainer-feature.json and install.sh, and at most {@link MAX_FEATURE_ENTRIES} entries and
 * {@link MAX_FEATURE_CONTENT_BYTES} bytes. Links inside go as links, only when they point inside the
 * feature; anything else (a socket, a device) is refused. Files are read when sent, never followed.
 */
export async function readLocalFeature(definitionDir: string, key: string): Promise<FeatureFolder> {
  const root = path.resolve(definitionDir, key);
  const where = `feature ${key}`;
  const realBase = await fs.realpath(definitionDir);
  const real = await fs.realpath(root).catch(() => null);
  if (!inside(path.resolve(definitionDir), root) || (real && !inside(realBase, real))) {
    throw new BerthError(
      'invalid_params',
      `${where}: lies outside the folder of devcontainer.json (${definitionDir}); a local feature must be inside it`,
    );
  }
  const stat = real ? await fs.stat(real) : null;
  if (!real || !stat?.isDirectory()) {
    throw new BerthError(
      'invalid_params',
      `${where}: there is no folder ${root}; give the path of a feature folder, relative to devcontainer.json`,
    );
  }
  const files: ContextEntry[] = [];
  let total = 0;
  const walk = async (rel: string): Promise<void> => {
    for (const name of (await fs.readdir(path.join(real, rel))).sort()) {
      const entryPath = rel ? `${rel}/${name}` : name;
      const abs = path.join(real, entryPath);
      const info = await fs.lstat(abs);
      if (files.length >= MAX_FEATURE_ENTRIES) {
        throw new BerthError('invalid_params', `${where}: more than ${MAX_FEATURE_ENTRIES} files and folders`);
      }
      const base = { name: entryPath, mode: info.mode & 0o7777, mtime: info.mtime, size: 0 };
      if (info.isDirectory()) {
        files.push({ ...base, type: 'directory' });
        await walk(entryPath);
      } else if (info.isFile()) {
        total += info.size;
        if (total > MAX_FEATURE_CONTENT_BYTES) {
          throw new BerthError('invalid_params', `${where}: more than ${MAX_FEATURE_CONTENT_BYTES} bytes of files`);
        }
        files.push({ ...base, type: 'file', size: info.size, source: abs, digest: await digestOf(abs) });
      } else if (info.isSymbolicLink()) {
        const target = await fs.readlink(abs);
        if (path.isAbsolute(target) || !inside(real, path.resolve(path.dirname(abs), target))) {
          throw new BerthError(
            'invalid_params',
            `${where}: ${entryPath} is a link out of the feature (to ${target}); copy the file in instead`,
          );
        }
        files.push({ ...base, type: 'symlink', linkname: target });
      } else {
        throw new BerthError('invalid_params', `${where}: ${entryPath} is not a file, folder or link; remove it`);
      }
    }
  };
  await walk('');
  // Its size is bounded by the walk's total; parseFeatureMetadata holds it to its own limit.
  const metadata = await checkFiles(files, () => fs.readFile(path.join(real, 'devcontainer-feature.json')), where);
  return { metadata, files };
}

/**
 * Reads a published feature tarball (the store's copy of `ref`) as a feature folder: its entries
 * checked by {@link readTarSafely} (no `..`, no absolute paths, no links, sizes), then as a local one.
 */
export async function readFeatureTarball(tarball: Buffer, ref: string): Promise<FeatureFolder> {
  const where = `feature ${ref}`;
  let unpacked;
  try {
    unpacked = await readTarSafely(tarball, {
      maxContentBytes: MAX_FEATURE_CONTENT_BYTES,
      maxEntries: MAX_FEATURE_ENTRIES,
    });
  } catch (err) {
    if (err instanceof TarProblem) {
      throw new BerthError('invalid_params', `${where}: its tarball is refused: ${err.message}`);
    }
    throw err;
  }
  const mtime = new Date(0);
  const files: ContextEntry[] = unpacked.map((file) =>
    file.type === 'directory'
      ? { name: file.name, type: 'directory', mode: file.mode | 0o700, mtime, size: 0 }
      : {
          name: file.name,
          type: 'file',
          mode: file.mode,
          mtime,
          size: file.data.length,
          data: file.data,
          digest: createHash('sha256').update(file.data).digest('hex'),
        },
  );
  // A tarball may hold a file inside a folder it does not list: the folders are made for it.
  const folders = new Set(files.filter((file) => file.type === 'directory').map((file) => file.name));
  for (const file of [...files]) {
    const parts = file.name.split('/');
    for (let i = 1; i < parts.length; i++) {
      const folder = parts.slice(0, i).join('/');
      if (!folders.has(folder)) {
        folders.add(folder);
        files.push({ name: folder, type: 'directory', mode: 0o755, mtime, size: 0 });
      }
    }
  }
  files.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const data = files.find((file) => file.name === 'devcontainer-feature.json')?.data;
  const metadata = await checkFiles(files, () => Promise.resolve(data ?? Buffer.alloc(0)), where);
  return { metadata, files };
}
