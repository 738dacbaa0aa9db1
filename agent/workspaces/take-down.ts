import { errorMessage } from '../../util/log';
import { volumeName, type WorkspaceRecord } from '../state/record';
import { reportProgress, type OpContext, type ServiceDeps } from './operation';

/** Tells the owner's clients that the workspace is gone. */
function announceRemoved({ bus }: ServiceDeps, record: WorkspaceRecord): void {
  bus.emit(
    { event: 'workspace.removed', data: { id: record.id, name: record.name, owner: record.owner } },
    record.owner,
  );
}

/** What a delete answers: `keptVolume` when the home was kept, `trashedUntil` when it went to the trash. */
export type Deleted = {
  id: string;
  name: string;
  keptVolume: string | null;
  trashedUntil?: string;
  namedVolumes?: string[];
};

/**
 * Completes a delete whose record is in `deleting` (also after an agent restart): the container, the
 * home volume when `deleteData` says so, then the record and the bootstrap directory. When the record
 * cannot be removed from the store it stays `deleting`, and a later reconciliation finishes the job.
 */
export async function finishDelete(deps: ServiceDeps, record: WorkspaceRecord, ctx: OpContext): Promise<Deleted> {
  const { runtime, store, bootstrap, bus, gpus, trash } = deps;
  reportProgress(bus, record, ctx, 'removing-container', 'Removing the container');
  await runtime.removeContainer(record.id);
  let keptVolume: string | null = null;
  let trashedUntil: string | undefined;
  if (record.deleteData && trash?.enabled && !record.deleteNow) {
    // Trash: the volume stays, marked trashed in the homes ledger (saved first: a crash repeats it).
    reportProgress(bus, record, ctx, 'removing-volume', `Moving home volume ${volumeName(record.id)} to the trash`);
    trashedUntil = await trash.put(record);
  } else if (record.deleteData) {
    reportProgress(bus, record, ctx, 'removing-volume', `Removing home volume ${volumeName(record.id)}`);
    await runtime.removeVolume(record.id);
  } else keptVolume = volumeName(record.id);
  await store.delete(record.id, keptVolume ?? (trashedUntil ? volumeName(record.id) : undefined));
  deps.images?.release(record.spec.image);
  if (keptVolume) await deps.homes?.kept(record);
  gpus.wake();
  await bootstrap.remove(record.id);
  await deps.secrets?.remove(record.id);
  announceRemoved(deps, record);
  reportProgress(bus, record, ctx, 'done', 'Deleted');
  // The owner's named volumes are never deleted with a workspace: other workspaces of theirs may mount them.
  const named = (record.spec.volumes ?? []).flatMap((volume) => (volume.name === undefined ? [] : [volume.name]));
  return {
    id: record.id,
    name: record.name,
    keptVolume,
    ...(trashedUntil ? { trashedUntil } : {}),
    ...(named.length ? { namedVolumes: named } : {}),
  };
}

/**
 * Removes everything a failed create made: container, home volume, record and bootstrap directory.
 * A record the store cannot drop (a full disk) is left with its directory, for a later delete.
 * With `keepHome` (a kept home was reattached) the home volume stays: it holds the owner's files.
 */
export async function rollBack(deps: ServiceDeps, record: WorkspaceRecord, keepHome = false): Promise<void> {
  const { runtime, store, bootstrap, gpus, log } = deps;
  await runtime.removeContainer(record.id).catch(() => undefined);
  if (keepHome) await deps.homes?.kept(record).catch(() => undefined);
  else await runtime.removeVolume(record.id).catch(() => undefined);
  if (store.get(record.id)) {
    try {
      // A kept home stays kept (not an orphan) after a failed reattach.
      await store.delete(record.id, keepHome ? volumeName(record.id) : undefined);
    } catch (err) {
      log.warn(
        `could not remove the record of the failed create of ${record.owner}/${record.name}: ${errorMessage(err)}; delete it once the state can be saved`,
      );
      return;
    }
    gpus.wake();
  }
  await bootstrap.remove(record.id);
  await deps.secrets?.remove(record.id).catch(() => undefined);
  announceRemoved(deps, record);
}
