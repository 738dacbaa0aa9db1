import { BerthError, type WorkspaceSpec } from '../../protocol';
import type { WorkspaceRecord } from '../state/record';
import type { Store } from '../state/store';
import type { User } from '../users';
import type { PortAllocator } from './ports';

/**
 * Takes the name and an SSH port of each new workspace, one create at a time, so that concurrent
 * creates never take the same ones.
 */
export class Reservations {
  private chain: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly store: Store,
    private readonly ports: PortAllocator,
  ) {}

  /**
   * A `creating` record for `spec`, put in the store (in memory; the caller saves it). `onReserved`
   * runs in the same step, before any other code sees the record.
   */
  reserve(
    user: User,
    id: string,
    spec: WorkspaceSpec,
    hostKey: string,
    onReserved: (record: WorkspaceRecord) => void,
  ): Promise<WorkspaceRecord> {
    const next = this.chain.then(async () => {
      const { store, ports } = this;
      if (store.find(user.name, spec.name)) {
        throw new BerthError(
          'already_exists',
          `you already have a workspace called "${spec.name}"; choose another name or delete it first`,
        );
      }
      const port = await ports.allocate(new Set(store.all().map((record) => record.port)));
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
      };
      store.put(record);
      onReserved(record);
      return record;
    });
    this.chain = next.catch(() => undefined);
    return next;
  }
}
