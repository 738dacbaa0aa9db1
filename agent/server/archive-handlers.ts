import { BerthError, type Params, type Result } from '../../protocol';
import { archive, unarchive } from '../workspaces/archive';
import type { WorkspaceService } from '../workspaces/service';
import type { Trash } from '../workspaces/trash';
import type { User } from '../users';
import type { OpContext } from '../workspaces/operation';

type ArchiveMethod = 'workspace.archive' | 'workspace.unarchive' | 'trash.list' | 'trash.restore' | 'trash.empty';
type Handler<M extends ArchiveMethod> = (params: Params<M>, ctx: OpContext & { user: User }) => Promise<Result<M>>;

/**
 * The handlers of archive and trash. Workspaces are resolved as every other method resolves them
 * (own, or an admin's any); the trash is each user's own, an admin sees all of it but restores only
 * their own, as with kept homes.
 */
export function archiveHandlers({ service, trash }: { service: WorkspaceService; trash: Trash | undefined }): {
  [M in ArchiveMethod]: Handler<M>;
} {
  const required = (): Trash => {
    if (!trash) throw new BerthError('internal', 'this agent was built without a trash');
    return trash;
  };
  return {
    'workspace.archive': async (ref, ctx) => ({ workspace: await archive(service, ctx.user, ref, ctx) }),
    'workspace.unarchive': async ({ waitForGpus, ...ref }, ctx) =>
      unarchive(service, ctx.user, ref, { ...ctx, waitForGpus }),
    'trash.list': async (_params, ctx) => ({
      entries: required().list(ctx.user),
      keepSeconds: Math.round(required().keepMs / 1000),
    }),
    'trash.restore': async ({ id, name, as, waitForGpus }, ctx) => ({
      workspace: await required().restore(service, ctx.user, { id, name }, as, { ...ctx, waitForGpus }),
    }),
    'trash.empty': async ({ all, ids }, ctx) => ({ removed: await required().empty(ctx.user, all === true, ids) }),
  };
}
