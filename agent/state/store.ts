import * as path from 'node:path';
import { z } from 'zod';
import { readJson, writeFileAtomic } from '../../util/files';
import { WorkspaceRecord } from './record';

const StateFile = z.object({
  version: z.literal(1),
  workspaces: z.array(WorkspaceRecord),
  /** Home volumes kept when their workspace was deleted without its data; not orphans. */
  keptVolumes: z.array(z.string()).default([]),
});

/**
 * The durable record of intent: every workspace's spec, state and allocations, in one JSON file.
 * Reads are from memory; `save()` writes the whole file atomically and resolves once it is on disk.
 * Concurrent saves are coalesced: at most one write runs, and one more is queued behind it.
 */
export class Store {
  private readonly byId = new Map<string, WorkspaceRecord>();
  private readonly kept = new Set<string>();
  private writing: Promise<void> | null = null;
  private queued: Promise<void> | null = null;

  private constructor(readonly file: string) {}

  /** Loads the store from `stateDir`, or starts an empty one. A corrupt file is an error, never overwritten. */
  static async open(stateDir: string): Promise<Store> {
    const store = new Store(path.join(stateDir, 'workspaces.json'));
    const raw = await readJson(store.file);
    if (raw !== undefined) {
      const parsed = StateFile.safeParse(raw);
      if (!parsed.success) {
        throw new Error(
          `${store.file} is not a valid Berth state file (${parsed.error.issues[0]?.message ?? ''}); restore it from a backup or move it away`,
        );
      }
      for (const record of parsed.data.workspaces) store.byId.set(record.id, record);
      for (const volume of parsed.data.keptVolumes) store.kept.add(volume);
    }
    return store;
  }

  /** All records, in creation order. */
  all(): WorkspaceRecord[] {
    return [...this.byId.values()];
  }

  get(id: string): WorkspaceRecord | undefined {
    return this.byId.get(id);
  }

  /** The record of `owner`'s workspace called `name`. */
  find(owner: string, name: string): WorkspaceRecord | undefined {
    for (const record of this.byId.values()) if (record.owner === owner && record.name === name) return record;
    return undefined;
  }

  /** Inserts or replaces a record in memory; call `save()` before answering the request. */
  put(record: WorkspaceRecord): void {
    this.byId.set(record.id, record);
  }

  remove(id: string): void {
    this.byId.delete(id);
  }

  /** Home volumes deliberately kept after their workspace was deleted. */
  keptVolumes(): ReadonlySet<string> {
    return this.kept;
  }

  keepVolume(volume: string): void {
    this.kept.add(volume);
  }

  /** Writes the current content to disk; resolves when a write that includes every change so far is done. */
  save(): Promise<void> {
    if (!this.writing) {
      this.writing = this.write().finally(() => (this.writing = null));
      return this.writing;
    }
    this.queued ??= this.writing
      .catch(() => undefined)
      .then(() => {
        this.queued = null;
        return this.save();
      });
    return this.queued;
  }

  private write(): Promise<void> {
    const content = { version: 1, workspaces: this.all(), keptVolumes: [...this.kept] };
    return writeFileAtomic(this.file, JSON.stringify(content, null, 1));
  }
}
