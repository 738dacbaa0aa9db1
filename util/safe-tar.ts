import { gunzipSync } from 'node:zlib';
import * as tar from 'tar-stream';

/** One file or folder of a tarball read by {@link readTarSafely}. */
export interface TarFile {
  /** Its path, `/`-separated, relative, without `./` or a trailing `/`. */
  name: string;
  type: 'file' | 'directory';
  /** Permission bits (0o777). */
  mode: number;
  data: Buffer;
}

/** Limits on what a tarball may hold. */
export interface TarLimits {
  /** Bytes of file content, all files together (after gunzip). */
  maxContentBytes: number;
  maxEntries: number;
}

/** A tarball that is not what it must be: the message says what and where. */
export class TarProblem extends Error {}

/** The path of an entry as kept: `./` and trailing `/` dropped; null for the archive's root itself. */
function cleanName(raw: string): string | null {
  if (raw.includes('\0') || raw.includes('\\')) throw new TarProblem(`${JSON.stringify(raw)}: not a plain path`);
  if (raw.startsWith('/')) throw new TarProblem(`${raw}: an absolute path`);
  const parts = raw.split('/').filter((part) => part !== '' && part !== '.');
  if (parts.includes('..')) throw new TarProblem(`${raw}: a path that climbs out with ".."`);
  return parts.length ? parts.join('/') : null;
}

/**
 * Reads a tarball (gzipped or not) held in memory, refusing what could reach outside the folder it
 * would be unpacked into or fill the disk: absolute paths, `..`, links (symbolic or hard), devices,
 * pipes, and more content or entries than `limits`. Never writes anything; the caller decides.
 */
export async function readTarSafely(bytes: Buffer, limits: TarLimits): Promise<TarFile[]> {
  let raw = bytes;
  if (bytes[0] === 0x1f && bytes[1] === 0x8b) {
    try {
      // The cap keeps a small .tgz from unpacking into gigabytes (the end blocks and headers fit in it).
      raw = gunzipSync(bytes, { maxOutputLength: limits.maxContentBytes + (limits.maxEntries + 4) * 1024 });
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      throw new TarProblem(
        code === 'ERR_BUFFER_TOO_LARGE'
          ? `it unpacks to more than ${limits.maxContentBytes} bytes`
          : `not a gzip file (${(err as Error).message})`,
      );
    }
  }
  const files: TarFile[] = [];
  const seen = new Set<string>();
  let total = 0;
  const extract = tar.extract();
  // The first problem is kept and the rest only drained (destroying the extractor mid-entry would
  // fail the entry's stream too, with nobody listening).
  let problem: TarProblem | null = null;
  const done = new Promise<void>((resolve, reject) => {
    extract.on('entry', (header, stream, next) => {
      const skip = () => {
        stream.on('end', next);
        stream.resume();
      };
      if (problem) return skip();
      try {
        if (files.length >= limits.maxEntries) throw new TarProblem(`more than ${limits.maxEntries} entries`);
        const name = cleanName(header.name);
        if (header.type !== 'file' && header.type !== 'directory') {
          throw new TarProblem(`${header.name}: a ${header.type ?? 'special entry'}; only files and folders are taken`);
        }
        if (name === null) return skip();
        if (seen.has(name)) throw new TarProblem(`${name}: twice in the archive`);
        seen.add(name);
        total += header.size ?? 0;
        if (total > limits.maxContentBytes) throw new TarProblem(`more than ${limits.maxContentBytes} bytes of files`);
        const chunks: Buffer[] = [];
        stream.on('data', (chunk: unknown) => void chunks.push(chunk as Buffer));
        stream.on('end', () => {
          files.push({
            name,
            type: header.type as 'file' | 'directory',
            mode: (header.mode ?? 0o644) & 0o777,
            data: Buffer.concat(chunks),
          });
          next();
        });
      } catch (err) {
        problem = err instanceof TarProblem ? err : new TarProblem((err as Error).message);
        skip();
      }
    });
    extract.on('finish', () => (problem ? reject(problem) : resolve()));
    extract.on('error', (err) =>
      reject(err instanceof TarProblem ? err : new TarProblem(`not a tar archive (${err.message})`)),
    );
  });
  extract.end(raw);
  await done;
  return files;
}
