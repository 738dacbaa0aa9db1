import { BerthError } from '../../protocol';
import { CLIENT_OPTIONS, UsageError, parse, positionals } from '../args';
import { formatTime } from '../format';
import { confirm } from '../prompt';
import { withClient, withProgress, type Command } from '../command';
import { OWNER_OPTION, refOf } from './lifecycle';

const usage = 'berth rm NAME [--owner USER] [--delete-data [--now]] [--yes] [--json]';

/** `berth rm NAME`: deletes a workspace; its home volume is kept unless `--delete-data` is given. */
export const rm: Command = {
  name: 'rm',
  summary: 'delete a workspace (its home volume is kept unless --delete-data)',
  usage,
  async run(argv) {
    const options = {
      ...CLIENT_OPTIONS,
      ...OWNER_OPTION,
      'delete-data': { type: 'boolean' },
      now: { type: 'boolean' },
      yes: { type: 'boolean', short: 'y' },
    } as const;
    const { values, positionals: rest } = parse(argv, options, usage);
    const [name = ''] = positionals(rest, ['NAME'], usage);
    const deleteData = values['delete-data'] ?? false;
    const now = values.now ?? false;
    if (now && !deleteData) throw new UsageError('--now goes with --delete-data (the home is kept otherwise)', usage);
    if (!values.yes) {
      if (!process.stdin.isTTY) {
        throw new BerthError('invalid_params', `refusing to delete "${name}" without confirmation; add --yes`);
      }
      const files = now
        ? 'ALL files in its home, at once (no trash)'
        : "its home's files (kept in the trash for the host's trash period, then deleted)";
      const ok = deleteData
        ? await confirm(`This deletes workspace "${name}" and ${files}. Type its name to confirm: `, name)
        : await confirm(`Delete workspace "${name}"? Its home volume is kept. [y/N] `, 'y');
      if (!ok) {
        process.stderr.write('Nothing deleted.\n');
        return 1;
      }
    }
    await withClient(values, async (client) => {
      const result = await withProgress(values.json ?? false, ({ onProgress }) =>
        client.request(
          'workspace.delete',
          { ...refOf(name, values.owner), deleteData, ...(now ? { now } : {}) },
          { onProgress },
        ),
      );
      if (values.json) return void process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
      process.stdout.write(
        result.keptVolume
          ? `Deleted ${name}; its home volume ${result.keptVolume} was kept (home ${result.id}). Reattach it with: berth create ${name} --home ${result.id}; delete it and its files with: berth homes rm ${result.id}\n`
          : result.trashedUntil
            ? `Deleted ${name}; its home is in the trash until ${formatTime(result.trashedUntil)}, then deleted for good. Restore it with: berth trash restore ${name}\n`
            : `Deleted ${name} and its data${now ? ', at once (not kept in the trash)' : ''}.\n`,
      );
      if (result.namedVolumes?.length) {
        const names = result.namedVolumes.join(', ');
        process.stdout.write(
          `Kept your named ${result.namedVolumes.length === 1 ? 'volume' : 'volumes'} ${names}: they outlive workspaces; mount ${result.namedVolumes.length === 1 ? 'it' : 'them'} again with volumes: in a workspace.yaml or mounts: in a devcontainer.json; delete one with: berth volumes rm NAME --yes\n`,
        );
      }
    });
    return 0;
  },
};
