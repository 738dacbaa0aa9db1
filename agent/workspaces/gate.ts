import { BerthError } from '../../protocol';
import type { WorkspaceRecord } from '../state/record';

/**
 * One operation at a time per workspace: a second one gets `conflict` (naming the running one in
 * `data`) instead of interleaving. Who must act after an operation (a cancel from another client)
 * can wait for it to end.
 */
export class OperationGate {
  /** Workspace id → the operation now running on it. */
  private readonly busy = new Map<string, string>();
  /** Workspace id → who waits for its operation to end. */
  private readonly waiting = new Map<string, (() => void)[]>();

  /** Whether an operation is running on `id`. */
  has(id: string): boolean {
    return this.busy.has(id);
  }

  /** Marks `operation` running on `record`, or throws `conflict` when another one is. */
  enter(record: WorkspaceRecord, operation: string): void {
    const running = this.busy.get(record.id);
    if (running) {
      throw new BerthError(
        'conflict',
        `workspace "${record.name}" is busy ${running}; wait until that finishes and try again`,
        { operation: running },
      );
    }
    this.busy.set(record.id, operation);
  }

  /** Marks the operation on `id` ended and wakes who waited for that. */
  leave(id: string): void {
    this.busy.delete(id);
    for (const wake of this.waiting.get(id) ?? []) wake();
    this.waiting.delete(id);
  }

  /** Resolves when the operation running on `id` (if any) ends. */
  ended(id: string): Promise<void> {
    if (!this.busy.has(id)) return Promise.resolve();
    return new Promise((resolve) => this.waiting.set(id, [...(this.waiting.get(id) ?? []), resolve]));
  }

  /** Runs `fn` as the only operation on the workspace. */
  async exclusive<T>(record: WorkspaceRecord, operation: string, fn: () => Promise<T>): Promise<T> {
    this.enter(record, operation);
    try {
      return await fn();
    } finally {
      this.leave(record.id);
    }
  }
}
