import type { WorkspaceRecord } from '../state/record';
import type { Users } from '../users';
import type { Bootstrap } from './bootstrap';

/**
 * Writes owners' keys into the authorized_keys of their workspaces, one write of an owner's keys at
 * a time, reading the keys inside the turn: a start that read the keys before a removal can then
 * never write the removed key back after the removal's own rewrite.
 */
export class KeyWriter {
  /** Owner → the chain of their writes. */
  private readonly turns = new Map<string, Promise<void>>();

  constructor(
    private readonly users: Users,
    private readonly bootstrap: Bootstrap,
  ) {}

  /** Writes the owner's current keys into the authorized_keys of `records()`, in the owner's turn. */
  write(owner: string, records: () => WorkspaceRecord[]): Promise<void> {
    const turn = (this.turns.get(owner) ?? Promise.resolve()).then(async () => {
      const keys = await this.users.keys(owner);
      await Promise.all(records().map((record) => this.bootstrap.writeKeys(record.id, keys)));
    });
    const settled = turn.catch(() => undefined);
    this.turns.set(owner, settled);
    void settled.then(() => this.turns.get(owner) === settled && this.turns.delete(owner));
    return turn;
  }
}
