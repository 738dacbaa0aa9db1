import type { TrashEntry } from '../../protocol';
import { localTime } from './describe';
import { memoryLabel } from './sizes';

/** The quick-pick row of a trashed home: its workspace's name, size and when it goes for good. */
export function trashItem(entry: TrashEntry): { label: string; description: string; detail: string } {
  const size = entry.bytes === null ? '' : ` · ${memoryLabel(entry.bytes)}`;
  return {
    label: entry.name,
    description: `${entry.image}${size}`,
    detail: `Deleted ${localTime(entry.deletedAt)}; deleted for good ${localTime(entry.expiresAt)}`,
  };
}
