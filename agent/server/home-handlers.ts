import { BerthError, type Params, type Result } from '../../protocol';
import type { User } from '../users';
import type { DiskUsage } from '../workspaces/disk-usage';
import type { Homes } from '../workspaces/homes';

type HomeMethod = 'home.list' | 'home.delete';
type Handler<M extends HomeMethod> = (params: Params<M>, ctx: { user: User }) => Promise<Result<M>>;

/**
 * The handlers of home volumes. Who may see and delete which home is the `Homes` rule (owners their
 * own, admins any); ids arrive checked by the protocol's `HomeId`, so nothing else reaches Docker.
 */
export function homeHandlers({ homes, disk }: { homes: Homes | undefined; disk: DiskUsage | undefined }): {
  [M in HomeMethod]: Handler<M>;
} {
  const required = (): Homes => {
    if (!homes) throw new BerthError('internal', 'this agent was built without homes');
    return homes;
  };
  return {
    'home.list': async (_params, ctx) => ({ homes: await required().list(ctx.user), at: disk?.at ?? null }),
    'home.delete': async ({ id }, ctx) => required().delete(ctx.user, id),
  };
}
