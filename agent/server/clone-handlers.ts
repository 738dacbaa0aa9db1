import { BerthError, type Params, type Result } from '../../protocol';
import { cloneRepository, messageAfterReclone } from '../workspaces/clone';
import type { WorkspaceService } from '../workspaces/service';
import type { OpContext } from '../workspaces/operation';
import type { User } from '../users';

/**
 * `workspace.clone`: the workspace's repository cloned again, once a clone failed (a clone is tried
 * once per home by itself); nothing without one. Own workspaces, or an admin's any; one operation
 * at a time on it.
 */
export function cloneHandlers({ service }: { service: WorkspaceService }): {
  'workspace.clone': (
    params: Params<'workspace.clone'>,
    ctx: OpContext & { user: User },
  ) => Promise<Result<'workspace.clone'>>;
} {
  return {
    'workspace.clone': async (ref, ctx) => {
      const record = service.resolve(ctx.user, ref);
      const clone = record.spec.clone;
      if (!clone) return { workspace: service.view(record), cloned: false };
      if (record.state !== 'running') {
        throw new BerthError('conflict', `"${record.name}" is ${record.state}; start it first (the clone runs in it)`);
      }
      return service.exclusive(record, 'cloning', async () => {
        const failure = await cloneRepository(service.deps, record, ctx, { force: true });
        if (failure) throw new BerthError('runtime_error', failure);
        // The clone's failure the start left in the message is over; the message's other parts stay.
        const after = messageAfterReclone(record, clone.url);
        if (after) {
          await service.deps.store.change(record, (draft) => {
            if (after.message === undefined) delete draft.message;
            else draft.message = after.message;
            delete draft.failedStage;
          });
          service.announce(record);
        }
        return { workspace: service.view(record), cloned: true };
      });
    },
  };
}
