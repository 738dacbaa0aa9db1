// Sizes as people read them.

const GiB = 1024 ** 3;
const MiB = 1024 ** 2;

/** `4294967296` → `4 GiB`, `536870912` → `512 MiB`. */
export function memoryLabel(bytes: number): string {
  return bytes >= GiB ? `${+(bytes / GiB).toFixed(1)} GiB` : `${Math.round(bytes / MiB)} MiB`;
}

/** A build folder's size: `12 KiB` below a MiB (most are that small, and `0 MiB` would say nothing), else as memory. */
export function folderSizeLabel(bytes: number): string {
  return bytes < MiB ? `${Math.ceil(bytes / 1024)} KiB` : memoryLabel(bytes);
}
