import { createHash } from 'node:crypto';
import { createReadStream, promises as fs, type BigIntStats } from 'node:fs';
import * as path from 'node:path';
import ignore from '@balena/dockerignore';
import * as tar from 'tar-stream';
import { BerthError, type BuildDefinition } from '../protocol';
import type { DigestCache } from './context-digests';
import { digestsOnWorker } from './digest-worker';

/** One thing of the context as it goes into the tar. */
export interface ContextEntry {
  /** Path inside the context, `/`-separated. */
  name: string;
  type: 'file' | 'directory' | 'symlink';
  /** Permission bits (0o7777). */
  mode: number;
  size: number;
  mtime: Date;
  /** A symlink's target, as it is (never followed). */
  linkname?: string;
  /** SHA-256 of a file's content. */
  digest?: string;
  /** Where a file's content is read from, when not `<dir>/<name>` (an assembled context: client/features). */
  source?: string;
  /** A file's content itself, when it is made rather than read (a generated Dockerfile). */
  data?: Buffer;
}

/** A context folder read for a build: what goes in, its tar size, and the hash of it and the definition. */
export interface ScannedContext {
  dir: string;
  entries: ContextEntry[];
  /** The tar's size in bytes (headers, contents padded to 512, the end blocks), as sent. */
  size: number;
  /** The build's hash; null when some file was not read yet (a scan with `unread`): {@link hashUnread}. */
  hash: string | null;
  /** The definition the hash covers. */
  definition: BuildDefinition;
  /** Files left unread by the scan, with what they were when scanned (for the digest cache). */
  unread?: Map<ContextEntry, { abs: string; stat: BigIntStats }>;
  /** Where the digests of the files left unread are remembered once {@link hashUnread} reads them. */
  digests?: DigestCache | undefined;
}

const pad512 = (n: number) => Math.ceil(n / 512) * 512;

/** Whether tar-stream can write the entry's name and link in a plain ustar header (else it adds a PAX one). */
function fitsUstar(entry: ContextEntry): boolean {
  let name = entry.type === 'directory' ? `${entry.name}/` : entry.name;
  if (Buffer.byteLength(name) !== name.length) return false;
  let prefix = '';
  while (name.length > 100) {
    const slash = name.indexOf('/');
    if (slash === -1) return false;
    prefix += prefix ? `/${name.slice(0, slash)}` : name.slice(0, slash);
    name = name.slice(slash + 1);
  }
  return prefix.length <= 155 && Buffer.byteLength(entry.linkname ?? '') <= 100;
}

/** A PAX record as tar-stream writes it: its own length, in decimal, first. */
function paxRecord(text: string): number {
  const length = Buffer.byteLength(text);
  let digits = 1;
  while (String(length + digits).length > digits) digits++;
  return length + digits;
}

/** Tar bytes one entry takes: its header (after a PAX header for a long name or link), then its content. */
function tarBytes(entry: ContextEntry): number {
  const pax = fitsUstar(entry)
    ? 0
    : 512 +
      pad512(paxRecord(` path=${entry.name}\n`) + (entry.linkname ? paxRecord(` linkpath=${entry.linkname}\n`) : 0));
  return pax + 512 + (entry.type === 'file' ? pad512(entry.size) : 0);
}

/** The `.dockerignore` rules of `dir` (none when it has no such file). */
async function ignoreRules(dir: string): Promise<{ ignores(p: string): boolean; negations: boolean }> {
  let text = '';
  try {
    text = await fs.readFile(path.join(dir, '.dockerignore'), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const lines = text.split(/\r?\n/).filter((line) => line.trim() && !line.trimStart().startsWith('#'));
  const rules = ignore().add(lines);
  return { ignores: (p) => rules.ignores(p), negations: lines.some((line) => line.trim().startsWith('!')) };
}

/** SHA-256 (hex) of a file's content, read as a stream. */
export async function digestOf(file: string): Promise<string> {
  const hash = createHash('sha256');
  // Reads of a MiB: the default 64 KiB made reading cost twice what hashing does.
  for await (const chunk of createReadStream(file, { highWaterMark: 1024 * 1024 })) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** The wall clock in nanoseconds, as the digest cache compares it with files' times. */
const nowNs = () => BigInt(Date.now()) * 1_000_000n;

/**
 * The digest of the file `abs`: the cache's, when the file is unchanged since it was hashed; else
 * read, or with `unread` left for {@link hashUnread} (null, its stat noted there).
 */
async function fileDigest(
  abs: string,
  digests: DigestCache | undefined,
  unread: ((stat: BigIntStats) => void) | undefined,
): Promise<string | null> {
  if (!digests && !unread) return digestOf(abs);
  const stat = await fs.lstat(abs, { bigint: true });
  const known = digests?.lookup(abs, stat);
  if (known) return known;
  if (unread) {
    unread(stat);
    return null;
  }
  const readAt = nowNs();
  const digest = await digestOf(abs);
  digests?.remember(abs, stat, digest, readAt);
  return digest;
}

/**
 * Reads the context folder `dir` as Docker's CLI would send it: `.dockerignore` honoured with
 * Docker's own pattern semantics (`@balena/dockerignore`), the Dockerfile and `.dockerignore` always
 * sent; files, folders and symlinks only (a symlink goes as a link, never followed); anything else
 * (a socket, a device, a pipe) is refused with its name. The hash covers the definition and each
 * entry's path, type, mode and content (or link target), never times: the same inputs hash alike.
 * With `digests`, a file unchanged since an earlier build is not read again (client/context-digests.ts).
 * With `unread`, a file whose digest is not known is not read either: the hash is then null until
 * {@link hashUnread} (which client/build-send.ts may run while the context is already being sent).
 */
export async function scanContext(
  dir: string,
  definition: BuildDefinition,
  digests?: DigestCache,
  { unread = false }: { unread?: boolean } = {},
): Promise<ScannedContext> {
  const root = path.resolve(dir);
  const stat = await fs.stat(root).catch(() => null);
  if (!stat?.isDirectory()) {
    throw new BerthError('invalid_params', `the build context ${dir} is not a folder; give the folder to build from`);
  }
  const dockerfile = await fs.lstat(path.join(root, definition.dockerfile)).catch(() => null);
  if (!dockerfile?.isFile()) {
    throw new BerthError(
      'invalid_params',
      `there is no Dockerfile ${definition.dockerfile} in ${dir}; give its path inside the folder with --dockerfile`,
    );
  }
  const rules = await ignoreRules(root);
  const always = new Set([definition.dockerfile, '.dockerignore']);
  const entries: ContextEntry[] = [];
  const left = new Map<ContextEntry, { abs: string; stat: BigIntStats }>();
  const walk = async (rel: string): Promise<void> => {
    const names = (await fs.readdir(path.join(root, rel))).sort();
    for (const name of names) {
      const entryPath = rel ? `${rel}/${name}` : name;
      const abs = path.join(root, entryPath);
      const info = await fs.lstat(abs);
      const ignored = !always.has(entryPath) && rules.ignores(entryPath);
      const base = { name: entryPath, mode: info.mode & 0o7777, mtime: info.mtime, size: 0 };
      if (info.isDirectory()) {
        // An ignored folder is still walked when a "!" rule may bring back something inside it.
        if (!ignored) entries.push({ ...base, type: 'directory' });
        if (!ignored || rules.negations) await walk(entryPath);
      } else if (ignored) {
        continue;
      } else if (info.isFile()) {
        const entry: ContextEntry = { ...base, type: 'file', size: info.size };
        const note = unread ? (stat: BigIntStats) => left.set(entry, { abs, stat }) : undefined;
        const digest = await fileDigest(abs, digests, note);
        if (digest) entry.digest = digest;
        entries.push(entry);
      } else if (info.isSymbolicLink()) {
        entries.push({ ...base, type: 'symlink', linkname: await fs.readlink(abs) });
      } else {
        throw new BerthError(
          'invalid_params',
          `${path.join(dir, entryPath)} is not a file, folder or symlink (a socket, pipe or device); a build context holds only those: list it in .dockerignore`,
        );
      }
    }
  };
  await walk('');
  const size = contextSize(entries);
  if (left.size) return { dir: root, entries, size, hash: null, definition, unread: left, digests };
  await digests?.save();
  return { dir: root, entries, size, hash: contextHash(definition, entries), definition };
}

/** Bytes of the files a scan with `unread` left unread. */
export function unreadBytes(context: ScannedContext): number {
  let sum = 0;
  for (const entry of context.unread?.keys() ?? []) sum += entry.size;
  return sum;
}

const hashing = new WeakMap<ScannedContext, Promise<string>>();

/**
 * The context's hash: the files a scan with `unread` left are read and hashed first (their digests
 * remembered and the cache saved), once however many times it is asked. `signal` stops the reading
 * (a cancelled or failed build); a hashing that failed is not kept, so a later call reads again.
 */
export function hashUnread(context: ScannedContext, signal?: AbortSignal): Promise<string> {
  if (context.hash) return Promise.resolve(context.hash);
  const running = hashing.get(context) ?? readUnread(context, signal);
  hashing.set(context, running);
  running.catch(() => hashing.get(context) === running && hashing.delete(context));
  return running;
}

/** Unread bytes from which they are hashed on a thread of their own (client/digest-worker.ts). */
const WORKER_BYTES = 8 * 1024 * 1024;

async function readUnread(context: ScannedContext, signal?: AbortSignal): Promise<string> {
  const unread = [...(context.unread ?? [])];
  if (unreadBytes(context) >= WORKER_BYTES) {
    const digests = await digestsOnWorker(
      unread.map(([, { abs }]) => abs),
      signal,
    );
    unread.forEach(([entry, { abs, stat }], at) => {
      const { digest, readAtMs } = digests[at]!;
      entry.digest = digest;
      context.digests?.remember(abs, stat, digest, BigInt(readAtMs) * 1_000_000n);
    });
  } else {
    for (const [entry, { abs, stat }] of unread) {
      if (signal?.aborted) throw new Error('the hashing was stopped');
      const readAt = nowNs();
      entry.digest = await digestOf(abs);
      context.digests?.remember(abs, stat, entry.digest, readAt);
    }
  }
  context.unread = new Map();
  context.hash = contextHash(context.definition, context.entries);
  await context.digests?.save();
  return context.hash;
}

/** The tar's size of `entries` in bytes, as {@link packContext} writes them (end blocks included). */
export function contextSize(entries: readonly ContextEntry[]): number {
  return entries.reduce((sum, entry) => sum + tarBytes(entry), 1024);
}

/** The build's hash: definition, then every entry's path, type, mode and content digest or link target. */
export function contextHash(definition: BuildDefinition, entries: readonly ContextEntry[]): string {
  const hash = createHash('sha256');
  const args = Object.entries(definition.args).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  hash.update(JSON.stringify(['berth-build-1', definition.dockerfile, args, definition.target ?? null]));
  for (const entry of [...entries].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    hash.update(`\n${JSON.stringify([entry.name, entry.type, entry.mode, entry.digest ?? entry.linkname ?? null])}`);
  }
  return hash.digest('hex');
}

/**
 * The context as a tar stream, read from disk as it is consumed (never whole in memory): owner 0:0,
 * the files' own modes and times. A file that changed size since {@link scanContext} fails the
 * stream.
 */
export function packContext(context: ScannedContext): tar.Pack {
  const pack = tar.pack();
  void (async () => {
    for (const entry of context.entries) {
      const header = { name: entry.name, mode: entry.mode, mtime: entry.mtime, uid: 0, gid: 0 };
      if (entry.type === 'directory') pack.entry({ ...header, type: 'directory' });
      else if (entry.type === 'symlink') pack.entry({ ...header, type: 'symlink', linkname: entry.linkname ?? '' });
      else if (entry.data) {
        const data = entry.data;
        await new Promise<void>((resolve, reject) =>
          pack.entry({ ...header, type: 'file', size: data.length }, data, (err) => (err ? reject(err) : resolve())),
        );
      } else {
        const file = entry.source ?? path.join(context.dir, entry.name);
        await new Promise<void>((resolve, reject) => {
          const sink = pack.entry({ ...header, type: 'file', size: entry.size }, (err) =>
            err ? reject(err) : resolve(),
          );
          // Big reads: each chunk becomes one frame (and one acknowledgement) on the way to the agent.
          const source = createReadStream(file, { highWaterMark: 512 * 1024 });
          source.on('error', reject);
          source.pipe(sink);
        }).catch((err: unknown) => {
          throw new BerthError(
            'invalid_params',
            `${file} changed or went away while it was being sent (${(err as Error).message}); build again`,
          );
        });
      }
    }
    pack.finalize();
  })().catch((err: unknown) => pack.destroy(err as Error));
  return pack;
}
