import { BerthError, type WorkspaceRef } from '../../protocol';
import type { WorkspaceRecord } from '../state/record';
import type { Store } from '../state/store';
import type { User } from '../users';
import type { Reservations } from './reservations';

/** The record `ref` names, if `user` may use it; `forbidden` or `not_found` otherwise. */
export function resolveRecord(
  store: Store,
  reservations: Reservations,
  user: User,
  ref: WorkspaceRef,
): WorkspaceRecord {
  const owner = ref.owner ?? user.name;
  if (owner !== user.name && !user.admin) {
    throw new BerthError('forbidden', `you can only use your own workspaces; "${ref.name}" belongs to ${owner}`);
  }
  // A create under way is found before its record is stored, so that it answers "busy creating".
  const record = store.find(owner, ref.name) ?? reservations.find(owner, ref.name);
  if (!record) {
    throw new BerthError(
      'not_found',
      `no workspace "${ref.name}"${owner === user.name ? '' : ` owned by ${owner}`}; list them with: berth ls`,
    );
  }
  return record;
}
