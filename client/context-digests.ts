import { promises as fs, type BigIntStats } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { writeFileAtomic } from '../util/files';

/**
 * How long before a file's digest was read its last change must lie for the digest to be kept: a
 * file written in the same clock tick as it was read could change again without its times moving
 * (git's "racily clean" entries). Such a file is simply hashed again by the next build.
 */
const SETTLED_NS = 2_000_000_000n;

/** The most files remembered: those seen by the latest builds are kept, the rest forgotten. */
export const MAX_DIGESTS = 200_000;

/** What a file is known by: it is the same file, unchanged, only while all of these are. */
interface Known {
  dev: string;
  ino: string;
  size: string;
  mtime: string;
  ctime: string;
  digest: string;
}

const STAT_KEYS = ['dev', 'ino', 'size', 'mtime', 'ctime'] as const;
const DIGITS = /^\d+$/;
const SHA256 = /^[0-9a-f]{64}$/;

/**
 * `value` as a cache entry, or null when it is not one: an object whose stat fields are decimal
 * strings and whose digest is a SHA-256 in hex. Checked by hand, and only for the entries a build
 * asks for or writes back, not for all of the file's (up to {@link MAX_DIGESTS}) at every build.
 */
function knownEntry(value: unknown): Known | null {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return null;
  const entry = value as Record<string, unknown>;
  const { digest } = entry;
  if (typeof digest !== 'string' || !SHA256.test(digest)) return null;
  for (const key of STAT_KEYS) {
    const field = entry[key];
    if (typeof field !== 'string' || !DIGITS.test(field)) return null;
  }
  const { dev, ino, size, mtime, ctime } = entry as unknown as Known;
  return { dev, ino, size, mtime, ctime, digest };
}

/**
 * The entries in the cache file's `text`, by path, each still to be checked ({@link knownEntry});
 * none when it is not JSON or not the file's shape (`{ version: 1, files: { PATH: entry } }`).
 */
function parseCache(text: string): Record<string, unknown> {
  const parsed: unknown = JSON.parse(text);
  if (typeof parsed !== 'object' || parsed === null) return {};
  const { version, files } = parsed as { version?: unknown; files?: unknown };
  if (version !== 1 || typeof files !== 'object' || files === null || Array.isArray(files)) return {};
  return files as Record<string, unknown>;
}

const identity = (stat: BigIntStats) => ({
  dev: String(stat.dev),
  ino: String(stat.ino),
  size: String(stat.size),
  mtime: String(stat.mtimeNs),
  ctime: String(stat.ctimeNs),
});

/** The cache's file: `$BERTH_CACHE_DIR`, `$XDG_CACHE_HOME/berth` or ~/.cache/berth, then `context-digests.json`. */
export function defaultDigestsFile(): string {
  const dir =
    process.env.BERTH_CACHE_DIR ?? path.join(process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), '.cache'), 'berth');
  return path.join(dir, 'context-digests.json');
}

/**
 * The SHA-256 of the files of earlier build contexts, by absolute path, each with the stat it was
 * read at (device, inode, size, modification and change times, to the nanosecond). A build hashes
 * its whole context before asking the host whether it has that build; with this, only files that
 * changed since are read. A file's change time cannot be set back by its owner, so a file whose
 * stat matches is the file that was hashed. The cache is advisory: a file that cannot be read or
 * parsed is an empty cache, and a write that fails loses only the speed-up.
 *
 * It assumes that the file system stamps times by this machine's clock: the racily-clean rule
 * ({@link SETTLED_NS}) compares a file's change times with this machine's clock at its reading. On
 * a network share (NFS, SMB) whose server's clock runs behind, a file just written can look settled
 * and be remembered too early; changed again within the same tick, it would keep its old digest
 * until its size or times move.
 *
 * The file is written back only when a build remembered or forgot something: a build whose files
 * were all known leaves it as it was (its order, latest first, is brought up to date at the next
 * write). An entry of the file that is not one is no entry: never answered with, never written back.
 */
export class DigestCache {
  private readonly seen = new Map<string, Known>();
  /** Whether the file, written now, would differ from what it holds (an entry new, changed or gone). */
  private dirty = false;

  private constructor(
    private readonly file: string | null,
    /** The file's entries, as read (unchecked): see {@link knownEntry}. */
    private readonly known: Record<string, unknown>,
    private readonly max: number,
  ) {}

  /**
   * The cache kept in `file` (null: one that forgets everything when the process ends), keeping at
   * most `max` files.
   */
  static async open(file: string | null = defaultDigestsFile(), max = MAX_DIGESTS): Promise<DigestCache> {
    let known: Record<string, unknown> = {};
    if (file) {
      try {
        known = parseCache(await fs.readFile(file, 'utf8'));
      } catch {
        // No cache yet, or one that is not ours to read: start empty.
      }
    }
    return new DigestCache(file, known, max);
  }

  /**
   * The digest of `file` as it was hashed before, when `stat` says it has not changed since; else
   * null, and the stale entry is forgotten.
   */
  lookup(file: string, stat: BigIntStats): string | null {
    if (!Object.hasOwn(this.known, file)) return null;
    const entry = knownEntry(this.known[file]);
    const now = identity(stat);
    if (!entry || STAT_KEYS.some((key) => entry[key] !== now[key])) {
      delete this.known[file];
      this.dirty = true;
      return null;
    }
    this.seen.set(file, entry);
    return entry.digest;
  }

  /** Notes that `file`, with `stat`, hashed to `digest` when its reading began at `readAtNs` (wall clock, ns). */
  remember(file: string, stat: BigIntStats, digest: string, readAtNs: bigint): void {
    const settled = stat.ctimeNs + SETTLED_NS <= readAtNs && stat.mtimeNs + SETTLED_NS <= readAtNs;
    if (!settled) return;
    const entry = { ...identity(stat), digest };
    const before = this.seen.get(file) ?? (Object.hasOwn(this.known, file) ? knownEntry(this.known[file]) : null);
    if (!before || STAT_KEYS.some((key) => before[key] !== entry[key]) || before.digest !== digest) this.dirty = true;
    this.seen.set(file, entry);
  }

  /**
   * Writes the cache back (atomically, private to the user) when it changed: this scan's files
   * first, then those of earlier scans, up to its most. Never throws.
   */
  async save(): Promise<void> {
    if (!this.file || !this.dirty) return;
    const files: Record<string, Known> = {};
    let count = 0;
    const keep = (name: string, entry: Known | null) => {
      if (!entry) return;
      files[name] = entry;
      count++;
    };
    for (const [name, entry] of this.seen) if (count < this.max) keep(name, entry);
    for (const name in this.known) {
      if (count >= this.max) break;
      if (Object.hasOwn(this.known, name) && !Object.hasOwn(files, name)) keep(name, knownEntry(this.known[name]));
    }
    try {
      await fs.mkdir(path.dirname(this.file), { recursive: true, mode: 0o700 });
      await writeFileAtomic(this.file, JSON.stringify({ version: 1, files }), { mode: 0o600 });
      this.dirty = false;
    } catch {
      // Read-only home, full disk: the next build hashes again.
    }
  }
}
