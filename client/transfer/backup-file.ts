import { createWriteStream, promises as fs } from 'node:fs';
import { Writable } from 'node:stream';
import { BerthError, type EventData, type Result } from '../../protocol';
import type { AgentClient } from '../agent-client';
import { streamRequest } from '../stream';

/** The extension of a backup file, as `berth backup` and the extension name them. */
export const BACKUP_EXTENSION = 'berth-backup';

/** The file a backup is written to before it is complete: next to `file`, so the rename stays on one disk. */
export function partialPath(file: string): string {
  return `${file}.partial`;
}

/** `web-2026-12-02.berth-backup`: the default name of a backup of `name` made at `now` (local date). */
export function defaultBackupName(name: string, now: Date): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${name}-${now.getFullYear()}-${pad(now.getMonth() + 1)}-${pad(now.getDate())}.${BACKUP_EXTENSION}`;
}

/** How {@link backupToFile} runs. */
export interface BackupToFileOptions {
  /** Copy a running workspace without stopping it. */
  live: boolean;
  /** Aborting sends the request's cancel (the agent starts a workspace it stopped again). */
  signal?: AbortSignal;
  /** The agent's progress events of this request (stopping, starting again). */
  onProgress?: (progress: EventData<'workspace.progress'>) => void;
  /** Called with each chunk's size as it reaches the file. */
  onBytes?: (n: number) => void;
  /** Where the agent's own messages on stderr go. */
  stderr: Writable;
}

/**
 * Writes a backup of workspace `ref` to `file`: first as {@link partialPath} (0600, made anew: it
 * holds the workspace's private SSH host key), checked against the size the agent reports, flushed
 * to disk, then renamed over `file`. Cancelled or failed, the partial file is removed and `file` is
 * untouched: a half backup never lies under the chosen name.
 */
export async function backupToFile(
  client: AgentClient,
  ref: { name: string; owner?: string },
  file: string,
  options: BackupToFileOptions,
): Promise<Result<'workspace.backup'>> {
  const partial = partialPath(file);
  const out = createWriteStream(partial, { flags: 'wx', mode: 0o600 });
  await new Promise<void>((resolve, reject) => out.once('open', () => resolve()).once('error', reject)).catch(
    (err: NodeJS.ErrnoException) => {
      throw new BerthError(
        err.code === 'EEXIST' ? 'already_exists' : 'runtime_error',
        err.code === 'EEXIST'
          ? `${partial} exists (left by a backup that did not finish?); remove it or choose another file`
          : `cannot write ${partial}: ${err.message}`,
      );
    },
  );
  const sink = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      options.onBytes?.(chunk.length);
      if (out.write(chunk)) callback();
      else out.once('drain', () => callback());
    },
  });
  try {
    const result = await streamRequest(
      client,
      'workspace.backup',
      { ...ref, live: options.live },
      {
        stdout: sink,
        stderr: options.stderr,
        stdin: null,
        ...(options.signal ? { signal: options.signal } : {}),
        ...(options.onProgress ? { onProgress: options.onProgress } : {}),
      },
    );
    // What came before the reply may still wait in the counter, then in the file stream.
    await new Promise<void>((resolve) => sink.end(() => resolve()));
    await new Promise<void>((resolve, reject) => out.end(() => resolve()).once('error', reject));
    const written = (await fs.stat(partial)).size;
    if (written !== result.bytes) {
      throw new BerthError('runtime_error', `wrote ${written} bytes of ${result.bytes}; nothing was kept, try again`);
    }
    await fsyncFile(partial);
    await fs.rename(partial, file);
    return result;
  } catch (err) {
    out.destroy();
    await fs.rm(partial, { force: true });
    throw err;
  }
}

/** Flushes a file to disk before it is renamed into place. */
async function fsyncFile(file: string): Promise<void> {
  const handle = await fs.open(file, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** The warning a live backup of `name` comes with (the CLI's and the extension's). */
export function liveWarning(name: string): string {
  return `copying "${name}" while it runs: files that change meanwhile may be inconsistent in the backup`;
}
