import { promises as fs } from 'node:fs';
import { BerthError, MAX_FEATURE_TARBALL_BYTES, type StoredFeature } from '../../protocol';
import { CLIENT_OPTIONS, UsageError, parse, positionals } from '../args';
import { withClient, type Command } from '../command';
import { formatSize, formatTime, table } from '../format';

const usage = [
  "berth feature import REF FILE   (admin: FILE is the feature's published tarball, devcontainer-feature-<id>.tgz)",
  'berth feature ls [--json]',
  'berth feature rm REF   (admin)',
].join('\n       ');

function printList(features: readonly StoredFeature[]): void {
  if (!features.length) {
    return void process.stdout.write(
      "No features in this host's store. An admin imports one with: berth feature import REF FILE\n",
    );
  }
  const rows = features.map((f) => [
    f.ref,
    f.id,
    f.version ?? '-',
    formatSize(f.size),
    formatTime(f.importedAt),
    f.importedBy,
  ]);
  process.stdout.write(`${table(['REF', 'ID', 'VERSION', 'SIZE', 'IMPORTED', 'BY'], rows)}\n`);
}

/** The tarball of `berth feature import`, refused over the limit before it is read whole. */
async function readTarball(file: string): Promise<Buffer> {
  const info = await fs.stat(file).catch((err: NodeJS.ErrnoException) => {
    throw new BerthError('invalid_params', `${file}: ${err.code === 'ENOENT' ? 'no such file' : err.message}`);
  });
  if (!info.isFile()) throw new BerthError('invalid_params', `${file}: not a file; give the feature's .tgz`);
  if (info.size > MAX_FEATURE_TARBALL_BYTES) {
    throw new BerthError(
      'invalid_params',
      `${file}: ${formatSize(info.size)}, more than the ${formatSize(MAX_FEATURE_TARBALL_BYTES)} a feature tarball may have`,
    );
  }
  return fs.readFile(file);
}

/** `berth feature`: the host's store of devcontainer features (OCI ids resolved offline). */
export const feature: Command = {
  name: 'feature',
  summary: "import, list or remove the devcontainer features of this host's store (import and rm: admins)",
  usage,
  async run(argv) {
    const { values, positionals: rest } = parse(argv, { ...CLIENT_OPTIONS }, usage);
    const [action = '', ...args] = rest;
    const json = values.json ?? false;
    const print = (result: unknown, text: string) =>
      process.stdout.write(json ? `${JSON.stringify(result, null, 2)}\n` : `${text}\n`);
    if (action === 'import') {
      const [ref = '', file = ''] = positionals(args, ['REF', 'FILE'], usage);
      const tarball = await readTarball(file);
      await withClient(values, async (client) => {
        const result = await client.request('feature.import', { ref, tarball: tarball.toString('base64') });
        const { id, version } = result.feature;
        print(
          result,
          `${result.replaced ? 'Replaced' : 'Imported'} ${ref} (feature ${id}${version ? ` ${version}` : ''}).`,
        );
      });
    } else if (action === 'ls') {
      positionals(args, [], usage);
      await withClient(values, async (client) => {
        const result = await client.request('feature.list', {});
        if (json) print(result, '');
        else printList(result.features);
      });
    } else if (action === 'rm') {
      const [ref = ''] = positionals(args, ['REF'], usage);
      await withClient(values, async (client) => {
        const result = await client.request('feature.remove', { ref });
        print(result, `Removed ${result.removed.ref}.`);
      });
    } else {
      throw new UsageError(action ? `unknown action "${action}"` : 'missing import, ls or rm', usage);
    }
    return 0;
  },
};
