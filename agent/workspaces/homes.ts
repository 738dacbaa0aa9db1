import { BerthError, UserName, type Home } from '../../protocol';
import type { HomeVolume, Runtime } from '../runtime/runtime';
import type { WorkspaceRecord } from '../state/record';
import type { Store } from '../state/store';
import type { User } from '../users';
import type { DiskUsage } from './disk-usage';
import type { HomeLedger, KeptHome } from './homes-ledger';

/** What {@link Homes} reads: Docker's volumes, the workspace records, the measured sizes, the ledger. */
export interface HomesDeps {
  runtime: Runtime;
  store: Store;
  ledger: HomeLedger;
  disk?: DiskUsage;
}

/**
 * A home as Docker and the agent's records describe it. The owner is the volume's label (made with
 * every home), else the record of the workspace using it, else what the ledger remembers; a label
 * that is no user name counts as none. `now` is the time of the listing.
 */
export function describeHome(
  volume: HomeVolume,
  record: WorkspaceRecord | undefined,
  kept: { owner: string; lastUsed: string } | undefined,
  bytes: number | null,
  now: string,
): Home {
  const named = (name: string | undefined) => (UserName.safeParse(name).success ? (name as string) : null);
  const owner = named(volume.owner) ?? record?.owner ?? kept?.owner ?? null;
  const lastUsed = record
    ? record.state === 'running'
      ? now
      : [record.lastActivity?.at, record.since]
          .filter((at): at is string => !!at)
          .sort()
          .pop()
    : kept?.lastUsed;
  return {
    id: volume.id,
    volume: volume.name,
    owner,
    workspace: record?.name ?? null,
    madeFor: volume.madeFor ?? null,
    bytes,
    lastUsed: lastUsed ?? null,
    createdAt: volume.createdAt ?? null,
  };
}

/** The refusal of a home that `user` may not `act` on, or null when they may. */
export function homeRefusal(user: User, home: Home, act: 'reattach' | 'delete'): BerthError | null {
  if (home.owner === user.name) return null;
  if (!user.admin) {
    return new BerthError(
      'forbidden',
      `home ${home.id} is not yours; you can only ${act} your own homes (berth homes ls lists them)`,
    );
  }
  if (act === 'delete') return null;
  return new BerthError(
    'forbidden',
    home.owner
      ? `home ${home.id} belongs to ${home.owner}; only its owner can reattach it`
      : `home ${home.id} has no known owner (it carries no owner label), so nobody can reattach it; an admin may delete it (berth homes rm ${home.id})`,
  );
}

/**
 * Home volumes as objects of their own: listed with owner, size and last use (kept ones included),
 * reattached to a new workspace by their owner, deleted on request. A home being reattached or deleted
 * is claimed, so that two such requests never act on it at once.
 */
export class Homes {
  private readonly claimed = new Set<string>();
  /** Trash: the entries of trashed homes being restored, put back should the restore fail. */
  private readonly restoring = new Map<string, KeptHome>();

  constructor(private readonly deps: HomesDeps) {}

  /** The homes `user` may see: their own; an admin's, every home, those of unknown owner included. */
  async list(user: User): Promise<Home[]> {
    const now = new Date().toISOString();
    const volumes = await this.deps.runtime.listHomes();
    return volumes
      .filter((volume) => !this.deps.ledger.get(volume.id)?.trash)
      .map((volume) => this.describe(volume, now))
      .filter((home) => user.admin || home.owner === user.name)
      .sort((a, b) => `${a.owner ?? ''}/${a.id}`.localeCompare(`${b.owner ?? ''}/${b.id}`));
  }

  /**
   * Claims home `id` for a new workspace of `user`: theirs, used by no workspace. Returns the release,
   * to call once the create ended (whichever way).
   */
  async claim(user: User, id: string, fromTrash = false): Promise<() => void> {
    const home = await this.find(user, id, 'reattach', fromTrash);
    this.requireFree(home);
    this.claimed.add(id);
    const trashed = this.deps.ledger.get(id);
    if (fromTrash && trashed) this.restoring.set(id, trashed);
    return () => {
      this.claimed.delete(id);
      this.restoring.delete(id);
    };
  }

  /** Deletes home `id` and every file in it, when `user` may and no workspace uses it. */
  async delete(user: User, id: string): Promise<{ id: string; volume: string }> {
    const home = await this.find(user, id, 'delete');
    this.requireFree(home);
    this.claimed.add(id);
    try {
      await this.deps.runtime.removeVolume(id);
      await this.deps.ledger.forget(id);
      return { id, volume: home.volume };
    } finally {
      this.claimed.delete(id);
    }
  }

  /**
   * Remembers that `record`'s delete kept its home (owner and last use survive the record); a home a
   * failed restore took from the trash goes back to the trash as it was.
   */
  kept(record: WorkspaceRecord): Promise<void> {
    const trashed = this.restoring.get(record.id);
    if (trashed) return this.deps.ledger.put(record.id, trashed);
    return this.deps.ledger.kept(record.id, {
      owner: record.owner,
      name: record.name,
      lastUsed: new Date().toISOString(),
    });
  }

  /** Trash: moves the home of `record` (being deleted) into the trash until `until`; rejects when not saved. */
  trash(record: WorkspaceRecord, until: string): Promise<void> {
    const at = new Date().toISOString();
    return this.deps.ledger.put(record.id, {
      owner: record.owner,
      name: record.name,
      lastUsed: at,
      trash: { at, until, spec: record.spec },
    });
  }

  /** Trash: the trashed homes, by id. */
  trashed(): [string, KeptHome & { trash: NonNullable<KeptHome['trash']> }][] {
    return this.deps.ledger
      .entries()
      .flatMap(([id, home]) => (home.trash ? [[id, { ...home, trash: home.trash }]] : []));
  }

  /** Trash: deletes trashed home `id` for good; false when a restore holds it now or it is no longer trashed. */
  async purge(id: string): Promise<boolean> {
    if (this.claimed.has(id) || !this.deps.ledger.get(id)?.trash || this.deps.store.get(id)) return false;
    this.claimed.add(id);
    try {
      await this.deps.runtime.removeVolume(id);
      await this.deps.ledger.forget(id);
      return true;
    } finally {
      this.claimed.delete(id);
    }
  }

  /** Forgets the kept-home entry of a home a workspace uses again. */
  reattached(id: string): Promise<void> {
    return this.deps.ledger.forget(id);
  }

  private describe(volume: HomeVolume, now: string): Home {
    const record = this.deps.store.get(volume.id);
    return describeHome(volume, record, this.deps.ledger.get(volume.id), this.deps.disk?.home(volume.id) ?? null, now);
  }

  private async find(user: User, id: string, act: 'reattach' | 'delete', fromTrash = false): Promise<Home> {
    const volume = (await this.deps.runtime.listHomes()).find((found) => found.id === id);
    if (!volume) {
      throw new BerthError('not_found', `there is no home ${id} on this host; list yours with: berth homes ls`);
    }
    const home = this.describe(volume, new Date().toISOString());
    const refusal = homeRefusal(user, home, act);
    if (refusal) throw refusal;
    // Checked after the owner: another user learns nothing of a trashed home.
    const trashed = this.deps.ledger.get(id)?.trash !== undefined;
    if (trashed !== fromTrash) {
      throw new BerthError(
        'conflict',
        trashed
          ? `home ${id} is in the trash; restore it with: berth trash restore ${id} (berth trash ls lists it)`
          : `home ${id} is not in the trash`,
      );
    }
    return home;
  }

  private requireFree(home: Home): void {
    const record = this.deps.store.get(home.id);
    if (record) {
      throw new BerthError(
        'conflict',
        `home ${home.id} is in use by workspace "${record.name}"${record.owner === home.owner ? '' : ` of ${record.owner}`}; delete that workspace first (berth rm ${record.name}), which keeps the home`,
      );
    }
    if (this.claimed.has(home.id)) {
      throw new BerthError(
        'conflict',
        `home ${home.id} is being reattached or deleted by another request; wait until that finishes`,
      );
    }
  }
}
