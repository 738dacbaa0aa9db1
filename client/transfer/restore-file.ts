import { createReadStream, promises as fs } from 'node:fs';
import * as path from 'node:path';
import { z } from 'zod';
import { BerthError, UserName, WorkspaceName, type EventData, type Workspace } from '../../protocol';
import type { AgentClient } from '../agent-client';
import { streamRequest } from '../stream';
import type { Writable } from 'node:stream';

/** What the start of a backup file says of the workspace in it. */
export interface BackupHead {
  name: string;
  owner: string;
  createdAt: string;
  /** Copied while it ran. */
  live: boolean;
}

const INFO_NAME = 'berth/backup.json';
const MAX_INFO_BYTES = 256 * 1024;
const BLOCK = 512;
const Head = z.object({
  format: z.literal('berth-backup'),
  createdAt: z.string(),
  live: z.boolean(),
  workspace: z.object({ name: WorkspaceName, owner: UserName }),
});

/**
 * Reads the first entry of a backup file (`berth/backup.json`, agent/backup/format.ts) for its
 * workspace's name: what a restore names the workspace by default. Only the start is read; the
 * checksums are the agent's to check as the whole file arrives. A file that does not start as a
 * Berth backup is refused with what is wrong.
 */
export async function readBackupHead(file: string): Promise<BackupHead> {
  const refuse = (why: string) => new BerthError('invalid_params', `${path.basename(file)} ${why}`);
  const handle = await fs.open(file, 'r').catch((err: NodeJS.ErrnoException) => {
    throw new BerthError('not_found', `cannot read ${file}: ${err.code === 'ENOENT' ? 'no such file' : err.message}`);
  });
  try {
    const header = Buffer.alloc(BLOCK);
    const { bytesRead } = await handle.read(header, 0, BLOCK, 0);
    const field = (at: number, width: number) =>
      header
        .toString('latin1', at, at + width)
        .replace(/\0.*$/s, '')
        .trim();
    if (bytesRead < BLOCK || field(0, 100) !== INFO_NAME) throw refuse('is not a Berth backup');
    const size = parseInt(field(124, 12), 8);
    if (!Number.isSafeInteger(size) || size <= 0 || size > MAX_INFO_BYTES) {
      throw refuse('is not a Berth backup: its description has a bad size');
    }
    const json = Buffer.alloc(size);
    const read = await handle.read(json, 0, size, BLOCK);
    if (read.bytesRead < size) throw refuse('is truncated: it ends inside its description');
    let parsed: z.infer<typeof Head>;
    try {
      parsed = Head.parse(JSON.parse(json.toString('utf8')));
    } catch {
      throw refuse('is corrupted or not a Berth backup: its description does not read');
    }
    return { ...parsed.workspace, createdAt: parsed.createdAt, live: parsed.live };
  } finally {
    await handle.close();
  }
}

/** How {@link restoreFromFile} runs. */
export interface RestoreFromFileOptions {
  /** The new workspace's name; absent: the one in the backup. */
  name?: string | undefined;
  signal?: AbortSignal;
  onProgress?: (progress: EventData<'workspace.progress'>) => void;
  /** Called with each chunk's size as it is read from the file. */
  onBytes?: (n: number) => void;
  /** Where the agent's own output goes. */
  output: Writable;
}

/**
 * Uploads backup `file` into a new workspace of the caller's (`workspace.restore`, with the file's
 * size, so a file that changes meanwhile is refused); the agent checks every checksum as it arrives
 * and records the workspace only once its home is in place. Cancelled or refused, nothing is made.
 */
export async function restoreFromFile(
  client: AgentClient,
  file: string,
  options: RestoreFromFileOptions,
): Promise<Workspace> {
  const { size } = await fs.stat(file);
  const input = createReadStream(file, { highWaterMark: 256 * 1024 });
  input.pause();
  input.on('data', (chunk) => options.onBytes?.(chunk.length));
  try {
    const { workspace } = await streamRequest(
      client,
      'workspace.restore',
      { ...(options.name ? { name: options.name } : {}), bytes: size },
      {
        stdout: options.output,
        stderr: options.output,
        stdin: input,
        binaryInput: true,
        ...(options.signal ? { signal: options.signal } : {}),
        ...(options.onProgress ? { onProgress: options.onProgress } : {}),
      },
    );
    return workspace;
  } finally {
    input.destroy();
  }
}
