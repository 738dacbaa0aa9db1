import { BerthError, type DiskUse } from '../../protocol';
import type { Runtime } from '../runtime/runtime';
import type { WorkspaceRecord } from '../state/record';
import type { Users } from '../users';
import { errorMessage, type Logger } from '../../util/log';

/** One user's disk: what their workspaces take together, and the soft quota an admin set (null: none). */
export interface UserDisk {
  user: string;
  bytes: number;
  quota: number | null;
}

/**
 * Measures what each workspace takes on disk (its home volume and its container's writable layer)
 * every `intervalMs`, one measurement at a time, and holds the last result: requests read
 * it and never wait for Docker's walk. Also tells which users are over the soft disk quota.
 */
export class DiskUsage {
  private homes = new Map<string, number>();
  private layers = new Map<string, number>();
  private owners = new Map<string, number>();
  private volumes = new Map<string, number>();
  private quotas = new Map<string, number>();
  /** Quota changes made through {@link setQuota}, counted: a measurement started before one keeps it. */
  private quotaChanges = 0;
  private measuredAt: string | null = null;
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;

  constructor(
    private readonly deps: {
      runtime: Runtime;
      users: Users;
      log: Logger;
      records: () => WorkspaceRecord[];
      /** Called after each measurement with the workspaces whose figures changed, to tell clients. */
      onChanged?: (records: WorkspaceRecord[]) => void;
      /** Homes that count against no quota (the trash), with their owners. */
      exempt?: () => { id: string; owner: string }[];
    },
    private readonly intervalMs: number,
  ) {}

  /** Measures now and then every interval. */
  start(): void {
    void this.measure();
    this.timer = setInterval(() => void this.measure(), this.intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running;
  }

  /** Measures now (joining a measurement under way); failures are logged and keep the last figures. */
  measure(): Promise<void> {
    this.running ??= this.read().finally(() => (this.running = null));
    return this.running;
  }

  /** When the figures were taken; null before the first measurement. */
  get at(): string | null {
    return this.measuredAt;
  }

  /** The disk use of one workspace as last measured; undefined before the first measurement. */
  of(record: WorkspaceRecord): DiskUse | undefined {
    if (!this.measuredAt) return undefined;
    const use: DiskUse = {
      home: this.homes.get(record.id) ?? null,
      layer: this.layers.get(record.id) ?? null,
      at: this.measuredAt,
    };
    const owner = this.user(record.owner);
    if (owner.quota !== null && owner.bytes > owner.quota) use.overQuota = { used: owner.bytes, quota: owner.quota };
    return use;
  }

  /** Bytes of the home volume of workspace (or kept home) `id` as last measured; null when not measured. */
  home(id: string): number | null {
    return this.measuredAt ? (this.homes.get(id) ?? null) : null;
  }

  /** Bytes of the named volume whose Docker volume is `volume` as last measured; null when not measured. */
  volume(volume: string): number | null {
    return this.measuredAt ? (this.volumes.get(volume) ?? null) : null;
  }

  /**
   * What `user`'s workspaces take together, the homes they kept after a delete included (those are
   * still on the disk), with their quota.
   */
  user(user: string): UserDisk {
    return { user, bytes: this.owners.get(user) ?? 0, quota: this.quotas.get(user) ?? null };
  }

  /**
   * Refuses a new workspace for a user over their soft disk quota, saying what to do. The figures are
   * the last measurement's: a user who just freed space may have to wait for the next one.
   */
  requireUnderQuota(user: string): void {
    const { bytes, quota } = this.user(user);
    if (quota === null || bytes <= quota) return;
    throw new BerthError(
      'no_capacity',
      `${user}'s workspaces take ${gib(bytes)} of disk, over the ${gib(quota)} quota an admin set, so no new workspace can be made; free space in their homes, delete workspaces you no longer need with their data (berth rm NAME --delete-data), or ask an admin to raise the quota (berth quota ${user} --disk SIZE). Figures are measured every few minutes (last at ${this.measuredAt ?? 'never'}).`,
    );
  }

  /**
   * Refuses `extra` more bytes for `user` (a moved home, `workspace.admit`) when they would take the
   * user past their quota, or the user is over it already.
   */
  requireRoomFor(user: string, extra: number): void {
    this.requireUnderQuota(user);
    const { bytes, quota } = this.user(user);
    if (quota === null || bytes + extra <= quota) return;
    throw new BerthError(
      'no_capacity',
      `a home of ${gib(extra)} would take ${user}'s disk use past the ${gib(quota)} quota an admin set (${gib(bytes)} used); free space in their homes, delete workspaces they no longer need with their data, or ask an admin to raise the quota (berth quota ${user} --disk SIZE)`,
    );
  }

  /** Every user with workspaces or a quota, by name. */
  users(): UserDisk[] {
    const names = new Set([
      ...this.deps.records().map((record) => record.owner),
      ...this.owners.keys(),
      ...this.quotas.keys(),
    ]);
    return [...names].sort().map((name) => this.user(name));
  }

  /** Keeps a quota change in step at once (the figures wait for the next measurement). */
  setQuota(user: string, bytes: number | null): void {
    this.quotaChanges++;
    if (bytes === null) this.quotas.delete(user);
    else this.quotas.set(user, bytes);
  }

  /** What clients see of a workspace's disk, but the time: changed figures are worth an event. */
  private figures(record: WorkspaceRecord): string {
    const use = this.of(record);
    return use ? JSON.stringify({ ...use, at: undefined }) : '';
  }

  private async read(): Promise<void> {
    try {
      const changes = this.quotaChanges;
      const [usage, quotas] = await Promise.all([this.deps.runtime.diskUsage(), this.deps.users.diskQuotas()]);
      const before = new Map(this.deps.records().map((record) => [record.id, this.figures(record)]));
      this.homes = usage.homes;
      this.layers = usage.layers;
      this.owners = usage.owners;
      this.volumes = usage.volumes;
      for (const { id, owner } of this.deps.exempt?.() ?? []) {
        const bytes = usage.homes.get(id) ?? 0;
        this.owners.set(owner, Math.max(0, (this.owners.get(owner) ?? 0) - bytes));
      }
      // A quota set while this measurement ran is newer than what it read: it stays.
      if (changes === this.quotaChanges) this.quotas = quotas;
      this.measuredAt = new Date().toISOString();
      const changed = this.deps.records().filter((record) => before.get(record.id) !== this.figures(record));
      if (changed.length) this.deps.onChanged?.(changed);
    } catch (err) {
      this.deps.log.warn(`could not measure the workspaces' disk use: ${errorMessage(err)}`);
    }
  }
}

/** `12.3 GiB`, `512 MiB`. */
function gib(bytes: number): string {
  return bytes >= 1024 ** 3 ? `${+(bytes / 1024 ** 3).toFixed(1)} GiB` : `${Math.round(bytes / 1024 ** 2)} MiB`;
}
