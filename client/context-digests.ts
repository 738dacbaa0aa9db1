import { promises as fs, type BigIntStats } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { z } from 'zod';
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
const Known = z.object({
  dev: z.string(),
  ino: z.string(),
  size: z.string(),
  mtime: z.string(),
  ctime: z.string(),
  digest: z.string().regex(/^[0-9a-f]{64}$/),
});
type Known = z.infer<typeof Known>;

const CacheFile = z.object({ version: z.literal(1), files: z.record(z.string(), Known) });

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
 */
export class DigestCache {
  private readonly seen = new Map<string, Known>();

  private constructor(
    private readonly file: string | null,
    private readonly known: Map<string, Known>,
    private readonly max: number,
  ) {}

  /**
   * The cache kept in `file` (null: one that forgets everything when the process ends), keeping at
   * most `max` files.
   */
  static async open(file: string | null = defaultDigestsFile(), max = MAX_DIGESTS): Promise<DigestCache> {
    const known = new Map<string, Known>();
    if (file) {
      try {
        const parsed = CacheFile.safeParse(JSON.parse(await fs.readFile(file, 'utf8')));
        if (parsed.success) for (const [name, entry] of Object.entries(parsed.data.files)) known.set(name, entry);
      } catch {
        // No cache yet, or one that is not ours to read: start empty.
      }
    }
    return new DigestCache(file, known, max);
  }

  /** The digest of `file` as it was hashed before, when `stat` says it has not changed since; else null. */
  lookup(file: string, stat: BigIntStats): string | null {
    const entry = this.known.get(file);
    const now = identity(stat);
    if (!entry || Object.entries(now).some(([key, value]) => entry[key as keyof typeof now] !== value)) return null;
    this.seen.set(file, entry);
    return entry.digest;
  }

  /** Notes that `file`, with `stat`, hashed to `digest` when its reading began at `readAtNs` (wall clock, ns). */
  remember(file: string, stat: BigIntStats, digest: string, readAtNs: bigint): void {
    const settled = stat.ctimeNs + SETTLED_NS <= readAtNs && stat.mtimeNs + SETTLED_NS <= readAtNs;
    if (settled) this.seen.set(file, { ...identity(stat), digest });
  }

  /**
   * Writes the cache back (atomically, private to the user): this scan's files first, then those of
   * earlier scans, up to its most. Never throws.
   */
  async save(): Promise<void> {
    if (!this.file || this.seen.size === 0) return;
    const files: Record<string, Known> = {};
    let count = 0;
    for (const source of [this.seen, this.known]) {
      for (const [name, entry] of source) {
        if (count >= this.max) break;
        if (Object.hasOwn(files, name)) continue;
        files[name] = entry;
        count++;
      }
    }
    try {
      await fs.mkdir(path.dirname(this.file), { recursive: true, mode: 0o700 });
      await writeFileAtomic(this.file, JSON.stringify({ version: 1, files }), { mode: 0o600 });
    } catch {
      // Read-only home, full disk: the next build hashes again.
    }
  }
}
