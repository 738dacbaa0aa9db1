import { BerthError, type Params, type Result } from '../../protocol';
import type { User } from '../users';
import type { DiskUsage } from '../workspaces/disk-usage';
import type { NamedVolumes } from '../workspaces/named-volumes';

type VolumeMethod = 'volume.list' | 'volume.delete';
type Handler<M extends VolumeMethod> = (params: Params<M>, ctx: { user: User }) => Promise<Result<M>>;

/**
 * The handlers of named volumes. Who may see and delete which volume is the `NamedVolumes` rule
 * (owners their own, admins any); names and owners arrive checked by the protocol's `VolumeName`
 * and `UserName`, so nothing else reaches Docker.
 */
export function volumeHandlers({ volumes, disk }: { volumes: NamedVolumes | undefined; disk: DiskUsage | undefined }): {
  [M in VolumeMethod]: Handler<M>;
} {
  const required = (): NamedVolumes => {
    if (!volumes) throw new BerthError('internal', 'this agent was built without named volumes');
    return volumes;
  };
  return {
    'volume.list': async (_params, ctx) => ({ volumes: await required().list(ctx.user), at: disk?.at ?? null }),
    'volume.delete': async ({ name, owner }, ctx) => required().delete(ctx.user, name, owner),
  };
}
