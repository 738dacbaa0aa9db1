import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';

/** How {@link writeFileAtomic} treats the file it replaces. */
export interface AtomicWriteOptions {
  /** Mode of a new file (0600 unless given). */
  mode?: number;
  /** Keep the mode of the file being replaced, when there is one (`mode` is then for a new file only). */
  keepMode?: boolean;
  /** Write through a symlink to its target, so that the link stays a link (dotfile managers keep ~/.ssh/config so). */
  followSymlinks?: boolean;
  /** Create the parent directory (0700) when it is missing. */
  makeParent?: boolean;
}

/**
 * Writes `data` to `file` atomically: a temp file in the same directory, fsync, rename, fsync of the
 * directory. A crash leaves either the old or the new content, never a torn file, and a failure at
 * any step removes the temp file.
 */
export async function writeFileAtomic(
  file: string,
  data: string | Buffer,
  options: AtomicWriteOptions = {},
): Promise<void> {
  const target = options.followSymlinks ? await fs.realpath(file).catch(() => file) : file;
  const dir = path.dirname(target);
  const existing = options.keepMode ? await fs.stat(target).catch(() => null) : null;
  const mode = existing ? existing.mode & 0o7777 : (options.mode ?? 0o600);
  if (options.makeParent) await fs.mkdir(dir, { recursive: true, mode: 0o700 });
  const tmp = path.join(dir, `.${path.basename(target)}.${randomBytes(4).toString('hex')}.tmp`);
  try {
    const handle = await fs.open(tmp, 'w', mode);
    try {
      await handle.writeFile(data);
      // The process umask narrows the mode open() gives; the file gets exactly the mode asked for.
      await handle.chmod(mode);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await fs.rename(tmp, target);
  } catch (err) {
    await fs.rm(tmp, { force: true });
    throw err;
  }
  const handle = await fs.open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
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

/** Reads and parses a JSON file; `undefined` when it does not exist, an error naming the file when it is not JSON. */
export async function readJson(file: string): Promise<unknown> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new Error(`${file} is not valid JSON (${(err as Error).message}); restore it from a backup or move it away`, {
      cause: err,
    });
  }
}

/**
 * Runs `fn` while holding an exclusive lock file next to `file`, so that the agent and a concurrent
 * `berth token create` never interleave their read-modify-write cycles. A lock left by a dead process
 * is taken over.
 */
export async function withFileLock<T>(file: string, fn: () => Promise<T>, timeoutMs = 10_000): Promise<T> {
  const lock = `${file}.lock`;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const handle = await fs.open(lock, 'wx', 0o600);
      await handle.writeFile(String(process.pid));
      await handle.close();
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      if ((await lockIsStale(lock)) && (await takeOverStale(lock))) continue;
      if (Date.now() > deadline) {
        throw new Error(`${lock} is held by another process; remove it if none runs`, { cause: err });
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }
  try {
    return await fn();
  } finally {
    await fs.rm(lock, { force: true });
  }
}

/**
 * Removes `lock` if it is still stale, one process at a time: two processes that both found it stale
 * must not remove it one after the other, the second removing the fresh lock the first just took.
 * False when another process is taking over (a guard left by a crash is cleared once old).
 */
async function takeOverStale(lock: string): Promise<boolean> {
  const guard = `${lock}.takeover`;
  try {
    await (await fs.open(guard, 'wx', 0o600)).close();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    const stat = await fs.stat(guard).catch(() => null);
    if (stat && Date.now() - stat.mtimeMs > 5_000) await fs.rm(guard, { force: true });
    return false;
  }
  try {
    if (await lockIsStale(lock)) await fs.rm(lock, { force: true });
    return true;
  } finally {
    await fs.rm(guard, { force: true });
  }
}

async function lockIsStale(lock: string): Promise<boolean> {
  const pid = Number(await fs.readFile(lock, 'utf8').catch(() => ''));
  if (!Number.isInteger(pid) || pid <= 0) {
    // Being written right now, or garbage: stale only when old.
    const stat = await fs.stat(lock).catch(() => null);
    return stat !== null && Date.now() - stat.mtimeMs > 5_000;
  }
  try {
    process.kill(pid, 0);
    return false;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ESRCH';
  }
}
