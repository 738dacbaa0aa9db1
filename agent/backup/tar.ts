/**
 * The little of the tar format a Berth backup writes itself: ustar headers of regular files and the
 * end-of-archive blocks. The home's own entries are Docker's, passed through untouched.
 */

/** A tar block. */
export const BLOCK = 512;
/** The two zero blocks that end an archive. */
export const END_BYTES = 2 * BLOCK;

/** Bytes of padding that bring `size` to a whole number of blocks. */
export function padding(size: number): number {
  return (BLOCK - (size % BLOCK)) % BLOCK;
}

function octal(value: number, width: number): string {
  return `${value.toString(8).padStart(width - 1, '0')}\0`;
}

/** The ustar header of a regular file `name` (at most 100 bytes) of `size` bytes, owned by root. */
export function fileHeader(name: string, size: number, mode: number, mtime: Date): Buffer {
  const header = Buffer.alloc(BLOCK);
  header.write(name, 0, 100, 'utf8');
  header.write(octal(mode, 8), 100);
  header.write(octal(0, 8), 108);
  header.write(octal(0, 8), 116);
  header.write(octal(size, 12), 124);
  header.write(octal(Math.floor(mtime.getTime() / 1000), 12), 136);
  header.write('        ', 148);
  header.write('0', 156);
  header.write('ustar\x0000', 257, 'latin1');
  header.write(octal(checksum(header), 7), 148);
  return header;
}

/** The header checksum: the sum of its bytes with the checksum field taken as spaces. */
function checksum(header: Buffer): number {
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : (header[i] ?? 0);
  return sum;
}

/** What {@link readFileHeader} finds in a block. */
export interface FileHeader {
  name: string;
  size: number;
}

/** Reads the header of a regular file, or says what is wrong with the block. */
export function readFileHeader(block: Buffer): FileHeader | string {
  if (block.length !== BLOCK) return 'a tar header is cut short';
  const field = (at: number, width: number) =>
    block
      .toString('latin1', at, at + width)
      .replace(/\0.*$/s, '')
      .trim();
  const sum = parseInt(field(148, 8), 8);
  if (!Number.isFinite(sum) || sum !== checksum(block)) return 'a tar header has a bad checksum';
  const size = parseInt(field(124, 12), 8);
  if (!Number.isSafeInteger(size) || size < 0) return 'a tar header has a bad size';
  if (field(156, 1) !== '0') return 'a tar header is not that of a regular file';
  return { name: block.toString('utf8', 0, 100).replace(/\0.*$/s, ''), size };
}
