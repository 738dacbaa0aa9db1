import { BerthError, type TrashEntry, type Workspace } from '../../protocol';
import { volumeName, type WorkspaceRecord } from '../state/record';
import type { User } from '../users';
import { errorMessage, type Logger } from '../../util/log';
import type { DiskUsage } from './disk-usage';
import type { Homes } from './homes';
import type { OpContext } from './operation';
import type { WorkspaceService } from './service';

/** Timers are re-armed at least this often, so a far expiry never overflows setTimeout. */
const MAX_TIMER_MS = 60 * 60_000;

/** What names a trashed home in `trash.restore`: its id, or the name of the workspace it was deleted with. */
export type TrashRef = { id?: string | undefined; name?: string | undefined };

/**
 * The trash: homes of workspaces deleted with their data, kept for `keepMs` before the agent deletes
 * them. A trashed home stays the Docker volume it was (Docker cannot rename one): the homes ledger
 * marks it trashed, with the deleted workspace's definition, so nothing is copied. Trashed homes
 * count against no disk quota and are not listed as homes. Each user sees and restores their own;
 * admins see everyone's and may empty everyone's. `keepMs` 0 turns the trash off (deletes at once).
 */
export class Trash {
  private timer: NodeJS.Timeout | null = null;
  private sweeping: Promise<void> | null = null;
  private stopped = false;

  constructor(
    private readonly deps: {
      homes: Homes;
      disk?: DiskUsage | undefined;
      log: Logger;
      /** Built images: a trashed definition keeps its image, which goes once no definition names it. */
      images?: { release(image: string): void } | undefined;
    },
    readonly keepMs: number,
  ) {}

  /** Whether a delete with data goes to the trash. */
  get enabled(): boolean {
    return this.keepMs > 0;
  }

  /** Moves the home of `record` (being deleted) into the trash; returns when it expires. */
  async put(record: WorkspaceRecord): Promise<string> {
    const until = new Date(Date.now() + this.keepMs).toISOString();
    await this.deps.homes.trash(record, until);
    this.schedule();
    return until;
  }

  /** The entries `user` may see, newest first. */
  list(user: User): TrashEntry[] {
    return this.deps.homes
      .trashed()
      .filter(([, home]) => user.admin || home.owner === user.name)
      .map(([id, home]) => ({
        id,
        volume: volumeName(id),
        owner: home.owner,
        name: home.name,
        image: home.trash.spec.image,
        deletedAt: home.trash.at,
        expiresAt: home.trash.until,
        bytes: this.deps.disk?.home(id) ?? null,
      }))
      .sort((a, b) => b.deletedAt.localeCompare(a.deletedAt));
  }

  /**
   * Makes the workspace again on `user`'s trashed home, with its definition, named `as` or as it was.
   * A restore that fails leaves the home in the trash.
   */
  async restore(
    service: WorkspaceService,
    user: User,
    ref: TrashRef,
    as: string | undefined,
    ctx: OpContext,
  ): Promise<Workspace> {
    const { entry, spec: deleted } = this.find(user, ref);
    const name = as ?? entry.name;
    if (service.deps.store.find(user.name, name)) {
      throw new BerthError(
        'already_exists',
        `you already have a workspace called "${name}"; restore it under another name (berth trash restore ${entry.name} --as NEW)`,
      );
    }
    return service.create(user, { ...deleted, name }, ctx, entry.id, true);
  }

  /**
   * Deletes for good the trashed homes of `user` (with `all`, an admin's: everyone's); with `ids`,
   * only those among them (what the user confirmed: nothing trashed since is lost).
   */
  async empty(user: User, all: boolean, ids?: string[]): Promise<TrashEntry[]> {
    if (all && !user.admin) throw new BerthError('forbidden', "only an admin may empty everyone's trash");
    const confirmed = ids && new Set(ids);
    const entries = this.list(user).filter(
      (entry) => (all || entry.owner === user.name) && (!confirmed || confirmed.has(entry.id)),
    );
    const removed: TrashEntry[] = [];
    for (const entry of entries) if (await this.purge(entry.id, entry.image)) removed.push(entry);
    return removed;
  }

  /** Deletes what expired now, then every time the next entry expires. */
  start(): void {
    this.schedule(0);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.sweeping;
  }

  /** Deletes a trashed home for good, and then the built image its definition alone named. */
  private async purge(id: string, image: string): Promise<boolean> {
    if (!(await this.deps.homes.purge(id))) return false;
    this.deps.images?.release(image);
    return true;
  }

  /** The caller's own entry `ref` names, with the definition it was deleted with; others' are not found. */
  private find(user: User, ref: TrashRef): { entry: TrashEntry; spec: WorkspaceRecord['spec'] } {
    const mine = this.list(user).filter((entry) => entry.owner === user.name);
    // Newest first: a name deleted twice restores the latest, its id picks another.
    const entry = mine.find((e) => (ref.id !== undefined ? e.id === ref.id : e.name === ref.name));
    const home = entry && this.deps.homes.trashed().find(([id]) => id === entry.id)?.[1];
    if (!entry || !home) {
      const what = ref.id !== undefined ? `home ${ref.id}` : `workspace "${ref.name}"`;
      throw new BerthError('not_found', `your trash holds no ${what}; list it with: berth trash ls`);
    }
    return { entry, spec: home.trash.spec };
  }

  /**
   * Arms the timer for the next expiry (or in `inMs`), no sooner than `minMs`: an entry a restore
   * holds, or one Docker would not delete, is tried again later rather than at once.
   */
  private schedule(inMs?: number, minMs = 0): void {
    if (this.stopped) return;
    const next = this.deps.homes
      .trashed()
      .map(([, home]) => Date.parse(home.trash.until))
      .sort((a, b) => a - b)[0];
    const wait = inMs ?? (next === undefined ? undefined : Math.max(minMs, next - Date.now()));
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (wait === undefined) return;
    this.timer = setTimeout(() => void this.sweep(), Math.min(wait, MAX_TIMER_MS));
    this.timer.unref();
  }

  private sweep(): Promise<void> {
    let failed = false;
    this.sweeping ??= (async () => {
      const now = Date.now();
      for (const [id, home] of this.deps.homes.trashed()) {
        if (Date.parse(home.trash.until) > now) continue;
        try {
          if (await this.purge(id, home.trash.spec.image)) {
            this.deps.log.info(
              `trash: deleted home ${id} of ${home.owner} ("${home.name}"), kept since ${home.trash.at}`,
            );
          }
        } catch (err) {
          failed = true;
          this.deps.log.warn(`trash: could not delete home ${id}: ${errorMessage(err)}; trying again in a minute`);
        }
      }
    })().finally(() => {
      this.sweeping = null;
      this.schedule(undefined, failed ? 60_000 : 1000);
    });
    return this.sweeping;
  }
}
