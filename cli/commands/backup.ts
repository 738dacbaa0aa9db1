import { promises as fs } from 'node:fs';
import { BerthError } from '../../protocol';
import { backupToFile, liveWarning } from '../../client/transfer/backup-file';
import { CLIENT_OPTIONS, UsageError, parse, positionals } from '../args';
import { withClient, withProgress, type Command } from '../command';
import { formatSize } from '../format';
import { TransferProgress } from '../transfer';
import { OWNER_OPTION, refOf } from './lifecycle';

const usage = 'berth backup NAME -o FILE [--live] [--owner USER] [--quiet] [--json]';

/**
 * `berth backup NAME -o FILE`: one tar file with the workspace's home (owners, modes, links, times),
 * definition and SSH host key, written 0600 as FILE.partial and renamed only once complete
 * (client/transfer/backup-file.ts, which the extension's Back Up… runs too); Ctrl-C
 * cancels and leaves no file. A running workspace is stopped for the copy and started again, unless
 * `--live`.
 */
export const backup: Command = {
  name: 'backup',
  summary: 'write a workspace (home, definition, host key) to one archive file',
  usage,
  async run(argv) {
    const options = {
      ...CLIENT_OPTIONS,
      ...OWNER_OPTION,
      output: { type: 'string', short: 'o' },
      live: { type: 'boolean' },
      quiet: { type: 'boolean', short: 'q' },
    } as const;
    const { values, positionals: rest } = parse(argv, options, usage);
    const [name = ''] = positionals(rest, ['NAME'], usage);
    const file = values.output;
    if (!file) throw new UsageError('give the file to write with -o FILE', usage);
    const quiet = values.quiet ?? values.json ?? false;
    const ref = refOf(name, values.owner);
    if (
      await fs.stat(file).then(
        () => true,
        () => false,
      )
    ) {
      throw new BerthError('already_exists', `${file} exists; choose another file or remove it first`);
    }
    return withClient(values, async (client) => {
      const home = (await client.request('workspace.get', ref)).workspace.disk?.home ?? null;
      if (values.live && !quiet) process.stderr.write(`warning: ${liveWarning(name)}\n`);
      const progress = new TransferProgress(name, home, quiet);
      try {
        const result = await withProgress(quiet, ({ signal, onProgress }) =>
          backupToFile(client, ref, file, {
            live: values.live ?? false,
            signal,
            onProgress,
            onBytes: (n) => progress.add(n),
            stderr: process.stderr,
          }),
        );
        progress.done();
        if (values.json) process.stdout.write(`${JSON.stringify({ file, ...result }, null, 2)}\n`);
        else {
          process.stdout.write(
            `Backed up ${name} to ${file} (${formatSize(result.bytes)}; it holds the workspace's SSH host key, keep it private)${result.stopped ? '; it was stopped for the copy and started again' : ''}. Restore it with: berth restore ${file}\n`,
          );
        }
        return 0;
      } catch (err) {
        if (err instanceof BerthError && err.code === 'cancelled') {
          process.stderr.write(`Cancelled; no file was written.\n`);
          return 130;
        }
        throw err;
      }
    });
  },
};
