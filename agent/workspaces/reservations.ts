import { BerthError, type WorkspaceSpec } from '../../protocol';
import { isArchived, type WorkspaceRecord } from '../state/record';
import type { Store } from '../state/store';
import type { User } from '../users';
import type { PortAllocator } from './ports';

/**
 * Takes the name and an SSH port of each new workspace, one create at a time, so that concurrent
 * creates never take the same ones. A reservation holds them until it is released, whether or not
 * its record made it into the store.
 */
export class Reservations {
  private chain: Promise<unknown> = Promise.resolve();
  /** Records of creates under way, by id. */
  private readonly held = new Map<string, WorkspaceRecord>();

  constructor(
    private readonly store: Store,
    private readonly ports: PortAllocator,
  ) {}

  /**
   * A `creating` record for `spec`, held until `release` (the caller adds it to the store).
   * `onReserved` runs in the same step as the reservation.
   */
  reserve(
    user: User,
    id: string,
    spec: WorkspaceSpec,
    hostKey: string,
    onReserved: (record: WorkspaceRecord) => void,
  ): Promise<WorkspaceRecord> {
    const next = this.chain.then(async () => {
      this.requireNameFree(user, spec.name);
      const port = await this.ports.allocate(this.taken());
      const now = new Date().toISOString();
      const record: WorkspaceRecord = {
        id,
        name: spec.name,
        owner: user.name,
        spec,
        state: 'creating',
        since: now,
        createdAt: now,
        port,
        hostKey,
        history: [{ at: now, event: 'created' }],
      };
      this.held.set(id, record);
      onReserved(record);
      return record;
    });
    this.chain = next.catch(() => undefined);
    return next;
  }

  /**
   * Archive: gives an archived workspace an SSH port again, in the same step as creates take theirs:
   * its old one when no other workspace took it and it is bindable, else the lowest free one. `commit`
   * saves the port (and the end of the archive) before the next reservation looks.
   */
  reclaimPort(record: WorkspaceRecord, commit: (port: number) => Promise<void>): Promise<number> {
    const next = this.chain.then(async () => {
      const taken = this.taken(record.id);
      const port =
        !taken.has(record.port) && (await this.ports.free(record.port))
          ? record.port
          : await this.ports.allocate(taken);
      await commit(port);
      return port;
    });
    this.chain = next.catch(() => undefined);
    return next;
  }

  /**
   * The SSH port a create of `name` for `user` would get now, held for nobody (`workspace.admit`):
   * `already_exists` when the name is taken, `no_capacity` when no port is free.
   */
  async wouldReserve(user: User, name: string): Promise<number> {
    this.requireNameFree(user, name);
    return this.ports.allocate(this.taken());
  }

  private requireNameFree(user: User, name: string): void {
    if (this.store.find(user.name, name) || this.find(user.name, name)) {
      throw new BerthError(
        'already_exists',
        `you already have a workspace called "${name}"; choose another name or delete it first`,
      );
    }
  }

  /** The ports held by workspaces (archived ones hold none) and creates under way, but `except`'s. */
  private taken(except?: string): Set<number> {
    const holders = [...this.store.all(), ...this.held.values()].filter((r) => r.id !== except && !isArchived(r));
    return new Set(holders.map((record) => record.port));
  }

  /** Whether a create (or restore) of workspace `id` is under way. */
  has(id: string): boolean {
    return this.held.has(id);
  }

  /** The record of `owner`'s create of `name` under way, before the store has it. */
  find(owner: string, name: string): WorkspaceRecord | undefined {
    for (const record of this.held.values()) if (record.owner === owner && record.name === name) return record;
    return undefined;
  }

  /** Gives back the name and port of a create that ended (its record, if stored, holds them now). */
  release(id: string): void {
    this.held.delete(id);
  }
}
