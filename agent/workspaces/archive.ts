import { BerthError, type Workspace, type WorkspaceRef } from '../../protocol';
import { isArchived, type WorkspaceRecord } from '../state/record';
import type { User } from '../users';
import { requireHome } from './bring-up';
import { reportProgress, type OpContext } from './operation';
import type { WorkspaceService } from './service';
import { requireHostAllows } from './volume-rules';

/**
 * Archives a workspace: stopped when it runs (its GPUs given back), its container removed, and only
 * then marked archived, which frees its SSH port. The home volume, the record (definition) and the
 * bootstrap directory (host key) stay. Killed on the way, it is left running, stopping (finished by
 * the reconciler) or stopped with or without its container: each a whole workspace.
 */
export function archive(service: WorkspaceService, user: User, ref: WorkspaceRef, ctx: OpContext): Promise<Workspace> {
  const { runtime, config, bus } = service.deps;
  const record = service.resolve(user, ref);
  return service.exclusive(record, 'archiving', async () => {
    if (isArchived(record)) return service.view(record);
    if (!['running', 'stopped', 'failed'].includes(record.state)) {
      throw new BerthError('conflict', `workspace "${record.name}" is ${record.state}; archive it once that is done`);
    }
    if (record.state === 'running') {
      await service.setState(record, 'stopping', undefined, (draft) => (draft.stopReason = 'user'));
      reportProgress(bus, record, ctx, 'stopping', 'Stopping the container');
      await runtime.stopContainer(record.id, config.stopTimeoutSeconds);
      await service.setState(record, 'stopped');
    }
    reportProgress(
      bus,
      record,
      ctx,
      'removing-container',
      'Removing the container (home, definition and host key stay)',
    );
    await runtime.removeContainer(record.id);
    await service.setState(record, 'stopped', undefined, (draft) => {
      draft.archivedAt = new Date().toISOString();
      draft.stopReason ??= 'user';
    });
    reportProgress(bus, record, ctx, 'done', `Archived; SSH port ${record.port} freed`);
    return service.view(record);
  });
}

/**
 * Refuses to bring `record` back when the host no longer allows its spec to its owner (Docker inside,
 * a host bind: an allowance withdrawn while it was archived), saying that it stays archived.
 */
function requireStillAllowed(service: WorkspaceService, record: WorkspaceRecord): void {
  try {
    requireHostAllows(service.deps.config, record.spec, record.owner);
  } catch (err) {
    if (!(err instanceof BerthError)) throw err;
    throw new BerthError(err.code, `workspace "${record.name}" stays archived: ${err.message}`, err.data);
  }
}

/**
 * Brings an archived workspace back: what it needs must still be allowed by the host (checked before
 * anything changes) and its home must still exist; it takes its old SSH port when no
 * one took it meanwhile (else the lowest free one), then starts as `berth start` does, with the host
 * key it always had. Killed on the way, it is left archived, or stopped or starting (failed by the
 * reconciler) on its port: whole either way.
 */
export function unarchive(
  service: WorkspaceService,
  user: User,
  ref: WorkspaceRef,
  ctx: OpContext,
): Promise<{ workspace: Workspace; previousPort: number }> {
  const record = service.resolve(user, ref);
  return service.exclusive(record, 'unarchiving', async () => {
    const previousPort = record.port;
    if (!isArchived(record)) {
      throw new BerthError('conflict', `workspace "${record.name}" is not archived (it is ${record.state})`);
    }
    requireStillAllowed(service, record);
    await requireHome(service.deps, record, ctx);
    const port = await service.reservations.reclaimPort(record, (port) =>
      service.deps.store.change(record, (draft) => {
        delete draft.archivedAt;
        draft.port = port;
      }),
    );
    const moved = port === previousPort ? '' : ` (port ${previousPort} was taken meanwhile)`;
    reportProgress(service.deps.bus, record, ctx, 'allocating', `Assigned SSH port ${port}${moved}`);
    await service.setState(record, 'starting', 'Unarchiving');
    await service.bringUpOrFail(record, ctx);
    return { workspace: service.view(record), previousPort };
  });
}
