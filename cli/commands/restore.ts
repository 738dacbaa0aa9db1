import { createReadStream, promises as fs } from 'node:fs';
import { BerthError } from '../../protocol';
import { ArchiveReader } from '../../agent/backup/archive-reader';
import { ArchiveError, type BackupInfo } from '../../agent/backup/format';
import { streamRequest } from '../../client/stream';
import { CLIENT_OPTIONS, parse, positionals } from '../args';
import { printWorkspace, withClient, withProgress, type Command } from '../command';
import { TransferProgress } from '../transfer';

const usage = 'berth restore FILE [--name NAME] [--host HOST] [--quiet] [--json]';

/**
 * `berth restore FILE`: checks the whole backup first (structure, every sha256; a truncated or
 * corrupted file is refused before anything is made), then uploads it; the agent checks it again as
 * it arrives and records the workspace, yours, only once its home is in place. It keeps its SSH host
 * key, so a known_hosts line of the old one still holds.
 */
export const restore: Command = {
  name: 'restore',
  summary: 'recreate a workspace from a backup file (berth backup)',
  usage,
  async run(argv) {
    const options = { ...CLIENT_OPTIONS, name: { type: 'string' }, quiet: { type: 'boolean', short: 'q' } } as const;
    const { values, positionals: rest } = parse(argv, options, usage);
    const [file = ''] = positionals(rest, ['FILE'], usage);
    const quiet = values.quiet ?? values.json ?? false;
    const info = await check(file, quiet);
    const name = values.name ?? info.workspace.name;
    const { size } = await fs.stat(file);
    return withClient(values, async (client) => {
      const progress = new TransferProgress(`${name} (upload)`, size, quiet);
      const input = createReadStream(file, { highWaterMark: 256 * 1024 });
      input.pause();
      input.on('data', (chunk) => progress.add(chunk.length));
      try {
        const { workspace } = await withProgress(quiet, ({ signal, onProgress }) =>
          streamRequest(
            client,
            'workspace.restore',
            { ...(values.name ? { name: values.name } : {}), bytes: size },
            { stdout: process.stderr, stderr: process.stderr, stdin: input, binaryInput: true, signal, onProgress },
          ),
        );
        progress.done();
        printWorkspace(workspace, values.json ?? false, values);
        return 0;
      } catch (err) {
        if (err instanceof BerthError && err.code === 'cancelled') {
          process.stderr.write('Cancelled; nothing was restored.\n');
          return 130;
        }
        throw err;
      } finally {
        input.destroy();
      }
    });
  },
};

/** Reads all of `file` once and checks it; returns its backup.json, or refuses saying what is wrong. */
async function check(file: string, quiet: boolean): Promise<BackupInfo> {
  const size = await fs.stat(file).then(
    (stat) => stat.size,
    (err: NodeJS.ErrnoException) => {
      throw new BerthError('not_found', `cannot read ${file}: ${err.code === 'ENOENT' ? 'no such file' : err.message}`);
    },
  );
  const progress = new TransferProgress(`checking ${file}`, size, quiet);
  const reader = new ArchiveReader(
    () => undefined,
    () => undefined,
  );
  try {
    for await (const chunk of createReadStream(file, { highWaterMark: 1024 * 1024 })) {
      reader.push(chunk as Buffer);
      progress.add((chunk as Buffer).length);
    }
    const info = reader.end();
    progress.done();
    return info;
  } catch (err) {
    if (err instanceof ArchiveError) {
      throw new BerthError('invalid_params', `${file} is refused: ${err.message}; nothing was created`);
    }
    throw err;
  }
}
