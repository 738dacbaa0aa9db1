import { createWriteStream, promises as fs } from 'node:fs';
import { BerthError } from '../../protocol';
import { streamRequest } from '../../client/stream';
import { CLIENT_OPTIONS, UsageError, parse, positionals } from '../args';
import { withClient, withProgress, type Command } from '../command';
import { formatSize } from '../format';
import { TransferProgress } from '../transfer';
import { OWNER_OPTION, refOf } from './lifecycle';

const usage = 'berth backup NAME -o FILE [--live] [--owner USER] [--quiet] [--json]';

/**
 * `berth backup NAME -o FILE`: one tar file with the workspace's home (owners, modes, links, times),
 * definition and SSH host key, written 0600 as FILE.partial and renamed only once complete; Ctrl-C
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
    const partial = `${file}.partial`;
    return withClient(values, async (client) => {
      const home = (await client.request('workspace.get', ref)).workspace.disk?.home ?? null;
      if (values.live && !quiet) {
        process.stderr.write(
          `warning: copying "${name}" while it runs: files that change meanwhile may be inconsistent in the backup\n`,
        );
      }
      // It holds the workspace's private SSH host key: the owner alone may read it.
      const out = createWriteStream(partial, { flags: 'wx', mode: 0o600 });
      await new Promise<void>((resolve, reject) => out.once('open', () => resolve()).once('error', reject));
      const progress = new TransferProgress(name, home, quiet);
      const sink = progress.into(out);
      try {
        const result = await withProgress(quiet, ({ signal, onProgress }) =>
          streamRequest(
            client,
            'workspace.backup',
            { ...ref, live: values.live ?? false },
            { stdout: sink, stderr: process.stderr, stdin: null, signal, onProgress },
          ),
        );
        // What came before the reply may still wait in the counter, then in the file stream.
        await new Promise<void>((resolve) => sink.end(() => resolve()));
        await new Promise<void>((resolve, reject) => out.end(() => resolve()).once('error', reject));
        const written = (await fs.stat(partial)).size;
        if (written !== result.bytes) {
          throw new BerthError(
            'runtime_error',
            `wrote ${written} bytes of ${result.bytes}; nothing was kept, try again`,
          );
        }
        await fsyncFile(partial);
        await fs.rename(partial, file);
        progress.done();
        if (values.json) process.stdout.write(`${JSON.stringify({ file, ...result }, null, 2)}\n`);
        else {
          process.stdout.write(
            `Backed up ${name} to ${file} (${formatSize(result.bytes)}; it holds the workspace's SSH host key, keep it private)${result.stopped ? '; it was stopped for the copy and started again' : ''}. Restore it with: berth restore ${file}\n`,
          );
        }
        return 0;
      } catch (err) {
        out.destroy();
        await fs.rm(partial, { force: true });
        if (err instanceof BerthError && err.code === 'cancelled') {
          process.stderr.write(`Cancelled; no file was written.\n`);
          return 130;
        }
        throw err;
      }
    });
  },
};

/** Flushes a file to disk before it is renamed into place. */
async function fsyncFile(file: string): Promise<void> {
  const handle = await fs.open(file, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
