import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';

/**
 * Replaces `file` atomically (temp file in the same directory, fsync, rename), keeping the mode of
 * the file it replaces (`mode` for a new one). A symlinked file (dotfile managers) is written through
 * to its target, so the link stays a link.
 */
export async function replaceFile(file: string, text: string, mode = 0o600): Promise<void> {
  const target = await fs.realpath(file).catch(() => file);
  const existing = await fs.stat(target).catch(() => null);
  const finalMode = existing ? existing.mode & 0o7777 : mode;
  await fs.mkdir(path.dirname(target), { recursive: true, mode: 0o700 });
  const tmp = path.join(path.dirname(target), `.${path.basename(target)}.berth-${randomBytes(4).toString('hex')}`);
  const handle = await fs.open(tmp, 'w', finalMode);
  try {
    await handle.writeFile(text);
    await handle.chmod(finalMode);
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await fs.rename(tmp, target);
  } catch (err) {
    await fs.rm(tmp, { force: true });
    throw err;
  }
}

/** A file's text, or '' when it does not exist. */
export async function readText(file: string): Promise<string> {
  try {
    return await fs.readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return '';
    throw err;
  }
}
