import { BerthError, type NamedVolume } from '../../protocol';
import type { NamedVolumeInfo, Runtime } from '../runtime/runtime';
import type { WorkspaceRecord } from '../state/record';
import type { Store } from '../state/store';
import type { User } from '../users';
import type { DiskUsage } from './disk-usage';

/** What {@link NamedVolumes} reads: Docker's volumes, the workspace records, the measured sizes. */
export interface NamedVolumesDeps {
  runtime: Runtime;
  store: Store;
  disk?: DiskUsage;
  /** The definitions in the trash (`berth trash`): a restore brings back the volumes they name. */
  trashed?: () => readonly Pick<WorkspaceRecord, 'owner' | 'name' | 'spec'>[];
}

/** The names of `owner`'s workspaces whose spec names their volume `name` (archived ones included), sorted. */
export function volumeUsers(
  records: readonly Pick<WorkspaceRecord, 'owner' | 'name' | 'spec'>[],
  owner: string,
  name: string,
): string[] {
  return records
    .filter((record) => record.owner === owner && (record.spec.volumes ?? []).some((volume) => volume.name === name))
    .map((record) => record.name)
    .sort();
}

/** A named volume as `volume.list` shows it. */
export function describeNamedVolume(
  info: NamedVolumeInfo,
  records: readonly WorkspaceRecord[],
  bytes: number | null,
): NamedVolume {
  return {
    name: info.name,
    owner: info.owner,
    volume: info.volume,
    bytes,
    workspaces: volumeUsers(records, info.owner, info.name),
    createdAt: info.createdAt ?? null,
  };
}

/** The refusal of `user` deleting `owner`'s named volumes, or null when they may (their own; an admin's, anyone's). */
export function volumeDeleteRefusal(user: User, owner: string): BerthError | null {
  if (owner === user.name || user.admin) return null;
  return new BerthError(
    'forbidden',
    `the named volumes of ${owner} are not yours; you can only delete your own (berth volumes ls lists them)`,
  );
}

/**
 * Named volumes as objects of their own: listed with owner, size and the workspaces that name them,
 * deleted on request once no workspace names them. A volume being deleted is claimed, so that two
 * deletes never act on it at once.
 */
export class NamedVolumes {
  private readonly claimed = new Set<string>();

  constructor(private readonly deps: NamedVolumesDeps) {}

  /** The named volumes `user` may see: their own; an admin's, every user's. */
  async list(user: User): Promise<NamedVolume[]> {
    const records = this.deps.store.all();
    return (await this.deps.runtime.listNamedVolumes())
      .filter((info) => user.admin || info.owner === user.name)
      .map((info) => describeNamedVolume(info, records, this.deps.disk?.volume(info.volume) ?? null))
      .sort((a, b) => `${a.owner}/${a.name}`.localeCompare(`${b.owner}/${b.name}`));
  }

  /**
   * Deletes `owner`'s (default: `user`'s) named volume `name` and every file in it, when `user` may
   * and no workspace of that owner names it in its spec.
   */
  async delete(user: User, name: string, owner = user.name): Promise<{ name: string; owner: string; volume: string }> {
    const refusal = volumeDeleteRefusal(user, owner);
    if (refusal) throw refusal;
    const whose = owner === user.name ? 'your' : `${owner}'s`;
    const users = volumeUsers(this.deps.store.all(), owner, name);
    if (users.length) {
      const listed = users.map((ws) => `"${ws}"`).join(', ');
      throw new BerthError(
        'conflict',
        `${whose} volume ${name} is named by workspace${users.length === 1 ? '' : 's'} ${listed}; nothing deleted. Delete ${users.length === 1 ? 'it' : 'them'} first (berth rm NAME keeps the volume), or take the volume out of ${users.length === 1 ? 'its' : 'their'} spec`,
      );
    }
    // A trashed workspace comes back with its volumes: its volume goes only once it is gone for good.
    const trashed = volumeUsers(this.deps.trashed?.() ?? [], owner, name);
    if (trashed.length) {
      const listed = trashed.map((ws) => `"${ws}"`).join(', ');
      throw new BerthError(
        'conflict',
        `${whose} volume ${name} is named by deleted workspace${trashed.length === 1 ? '' : 's'} ${listed} in the trash, which a restore brings back with it; nothing deleted. Empty ${trashed.length === 1 ? 'it' : 'them'} from the trash first (berth trash ls, berth trash empty)`,
      );
    }
    const key = `${owner}.${name}`;
    if (this.claimed.has(key)) {
      throw new BerthError(
        'conflict',
        `${whose} volume ${name} is being deleted by another request; wait until that finishes`,
      );
    }
    this.claimed.add(key);
    try {
      return { name, owner, volume: await this.deps.runtime.removeNamedVolume(owner, name) };
    } finally {
      this.claimed.delete(key);
    }
  }
}
