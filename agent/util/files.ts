import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';

/**
 * Writes `data` to `file` atomically: a temp file in the same directory, fsync, rename, fsync of the
 * directory. A crash leaves either the old or the new content, never a torn file.
 */
export async function writeFileAtomic(file: string, data: string | Buffer, mode = 0o600): Promise<void> {
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${randomBytes(4).toString('hex')}.tmp`);
  const handle = await fs.open(tmp, 'w', mode);
  try {
    await handle.writeFile(data);
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await fs.rename(tmp, file);
  } catch (err) {
    await fs.rm(tmp, { force: true });
    throw err;
  }
  const dir = await fs.open(path.dirname(file), 'r');
  try {
    await dir.sync();
  } finally {
    await dir.close();
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
      if (Date.now() > deadline)
        throw new Error(`${lock} is held by another process; remove it if none runs`, { cause: err });
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
