import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import {
  BerthError,
  describeIssues,
  FEATURE_REFUSED,
  FeatureMetadata,
  MAX_FEATURE_CONTENT_BYTES,
  MAX_FEATURE_ENTRIES,
  MAX_FEATURE_METADATA_BYTES,
  MAX_FEATURE_TARBALL_BYTES,
  StoredFeature,
} from '../../protocol';
import { readJson, writeFileAtomic } from '../../util/files';
import { readTarSafely, TarProblem } from '../../util/safe-tar';

/** The store's folder of `ref`: `<root>/<registry>/<path>/<tag>` (a digest as `sha256-<hex>`). */
function folderOf(root: string, ref: string): string {
  const at = ref.lastIndexOf('@');
  const colon = ref.lastIndexOf(':');
  const [id, version] =
    at >= 0 ? [ref.slice(0, at), ref.slice(at + 1).replace(':', '-')] : [ref.slice(0, colon), ref.slice(colon + 1)];
  // StoredFeatureRef allows neither "..", "." segments nor a leading "/": this stays under root.
  return path.join(root, ...id.split('/'), `@${version}`);
}

/**
 * Checks a published feature tarball as the client will use it: within {@link MAX_FEATURE_TARBALL_BYTES},
 * a tar (gzipped or not) of files and folders only, no `..` or absolute paths, holding
 * devcontainer-feature.json (valid, none of the host-changing properties) and install.sh.
 */
export async function checkFeatureTarball(tarball: Buffer, ref: string): Promise<FeatureMetadata> {
  if (tarball.length > MAX_FEATURE_TARBALL_BYTES) {
    throw new BerthError(
      'invalid_params',
      `${ref}: the tarball is ${tarball.length} bytes, more than the ${MAX_FEATURE_TARBALL_BYTES} a feature may have`,
    );
  }
  let files;
  try {
    files = await readTarSafely(tarball, {
      maxContentBytes: MAX_FEATURE_CONTENT_BYTES,
      maxEntries: MAX_FEATURE_ENTRIES,
    });
  } catch (err) {
    if (!(err instanceof TarProblem)) throw err;
    throw new BerthError('invalid_params', `${ref}: the tarball is refused: ${err.message}`);
  }
  const file = (name: string) => files.find((entry) => entry.name === name && entry.type === 'file');
  const json = file('devcontainer-feature.json');
  if (!json || !file('install.sh')) {
    throw new BerthError(
      'invalid_params',
      `${ref}: the tarball holds no ${json ? 'install.sh' : 'devcontainer-feature.json'} at its top; give the feature's published .tgz (its folder packed)`,
    );
  }
  if (json.data.length > MAX_FEATURE_METADATA_BYTES) {
    throw new BerthError(
      'invalid_params',
      `${ref}: devcontainer-feature.json is over ${MAX_FEATURE_METADATA_BYTES} bytes`,
    );
  }
  let raw: unknown;
  try {
    raw = JSON.parse(json.data.toString('utf8'));
  } catch (err) {
    throw new BerthError('invalid_params', `${ref}: devcontainer-feature.json is not JSON (${(err as Error).message})`);
  }
  const parsed = FeatureMetadata.safeParse(raw);
  if (!parsed.success) {
    throw new BerthError('invalid_params', `${ref}: devcontainer-feature.json: ${describeIssues(parsed.error)}`);
  }
  const refused = Object.keys(FEATURE_REFUSED).filter((key) => {
    const value = (raw as Record<string, unknown>)[key];
    return !(value === undefined || value === false || (Array.isArray(value) && !value.length));
  });
  if (refused.length) {
    throw new BerthError(
      'invalid_params',
      `${ref}: it asks for ${refused.join(', ')}, which Berth refuses; it would not install`,
    );
  }
  return parsed.data;
}

/**
 * The host's feature store under the agent's state dir: one folder per feature id and version
 * (`features/ghcr.io/devcontainers/features/node/@1/`) holding `feature.tgz` (the tarball as
 * imported) and `feature.json` (what the listing shows). Filled by admins; read by every user.
 */
export class FeatureStore {
  constructor(private readonly root: string) {}

  /** Stores `tarball` as `ref` after checking it, replacing what was there. */
  async import(ref: string, tarball: Buffer, by: string): Promise<{ feature: StoredFeature; replaced: boolean }> {
    const metadata = await checkFeatureTarball(tarball, ref);
    const dir = folderOf(this.root, ref);
    const replaced = (await this.entry(ref)) !== null;
    const feature: StoredFeature = {
      ref,
      id: metadata.id,
      version: metadata.version ?? null,
      size: tarball.length,
      sha256: createHash('sha256').update(tarball).digest('hex'),
      importedAt: new Date().toISOString(),
      importedBy: by,
    };
    await fs.mkdir(dir, { recursive: true, mode: 0o700 });
    await writeFileAtomic(path.join(dir, 'feature.tgz'), tarball);
    await writeFileAtomic(path.join(dir, 'feature.json'), `${JSON.stringify(feature, null, 2)}\n`);
    return { feature, replaced };
  }

  /** The stored feature `ref`, or null. */
  async entry(ref: string): Promise<StoredFeature | null> {
    try {
      const parsed = StoredFeature.safeParse(await readJson(path.join(folderOf(this.root, ref), 'feature.json')));
      return parsed.success && parsed.data.ref === ref ? parsed.data : null;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw err;
    }
  }

  /** The tarball of `ref` with its entry, or null when the store lacks it. */
  async get(ref: string): Promise<{ feature: StoredFeature; tarball: Buffer } | null> {
    const feature = await this.entry(ref);
    if (!feature) return null;
    const tarball = await fs.readFile(path.join(folderOf(this.root, ref), 'feature.tgz')).catch(() => null);
    return tarball ? { feature, tarball } : null;
  }

  /** Every stored feature, by ref. */
  async list(): Promise<StoredFeature[]> {
    const found: StoredFeature[] = [];
    const walk = async (dir: string): Promise<void> => {
      const names = await fs.readdir(dir, { withFileTypes: true }).catch(() => []);
      for (const entry of names) {
        if (!entry.isDirectory()) continue;
        const sub = path.join(dir, entry.name);
        if (entry.name.startsWith('@')) {
          const parsed = StoredFeature.safeParse(await readJson(path.join(sub, 'feature.json')).catch(() => null));
          if (parsed.success) found.push(parsed.data);
        } else await walk(sub);
      }
    };
    await walk(this.root);
    return found.sort((a, b) => (a.ref < b.ref ? -1 : a.ref > b.ref ? 1 : 0));
  }

  /** Removes `ref`; not_found when the store lacks it. */
  async remove(ref: string): Promise<StoredFeature> {
    const feature = await this.entry(ref);
    if (!feature) {
      throw new BerthError('not_found', `no feature ${ref} in this host's store (berth feature ls lists them)`);
    }
    await fs.rm(folderOf(this.root, ref), { recursive: true, force: true });
    return feature;
  }
}
