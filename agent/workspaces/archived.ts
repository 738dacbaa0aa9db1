import { BerthError } from '../../protocol';
import type { WorkspaceRecord } from '../state/record';

/** The refusal of an operation that needs a container, on an archived workspace. */
export function archivedRefusal(record: WorkspaceRecord): BerthError {
  return new BerthError(
    'conflict',
    `workspace "${record.name}" is archived (no container, no SSH port); unarchive it first (berth unarchive ${record.name})`,
    { archivedAt: record.archivedAt },
  );
}
