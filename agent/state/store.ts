import * as path from 'node:path';
import { z } from 'zod';
import { BerthError } from '../../protocol';
import { readJson, writeFileAtomic } from '../../util/files';
import { errorMessage } from '../../util/log';
import { WorkspaceRecord } from './record';

const StateFile = z.object({
  version: z.literal(1),
  workspaces: z.array(WorkspaceRecord),
  /** Home volumes kept when their workspace was deleted without its data; not orphans. */
  keptVolumes: z.array(z.string()).default([]),
});
type StateFile = z.infer<typeof StateFile>;

/** One change of a commit: a new record, new values for some fields of one, or a record gone. */
type Change =
  | { kind: 'add'; record: WorkspaceRecord }
  | { kind: 'patch'; id: string; set: Partial<WorkspaceRecord>; unset: string[] }
  | { kind: 'remove'; id: string; keepVolume: string | undefined };

/** The changes written by one write of the file, and whoever waits for it. */
interface Batch {
  changes: Change[];
  done: Promise<void>;
  settle(error?: BerthError): void;
}

function newBatch(): Batch {
  let settle!: Batch['settle'];
  const done = new Promise<void>((resolve, reject) => (settle = (error) => (error ? reject(error) : resolve())));
  return { changes: [], done, settle };
}

/** `record` with a patch's fields set and unset, as a new object. */
function patched(record: WorkspaceRecord, change: Extract<Change, { kind: 'patch' }>): WorkspaceRecord {
  const next: Record<string, unknown> = { ...record, ...change.set };
  for (const key of change.unset) delete next[key];
  return next as WorkspaceRecord;
}

/**
 * The durable record of intent: every workspace's spec, state and allocations, in one JSON file.
 * Reads are from memory. A state change is a commit (`add`, `change`, `delete`): the file is written
 * with the change, and only once it is on disk is the change made in memory, so a failed write
 * (a full disk) leaves the agent's state as it was and a later write cannot carry it out after all.
 * One write runs at a time; commits arriving meanwhile share the next one. `save()` writes what
 * memory holds (the idle clocks, which are written lazily by design).
 */
export class Store {
  private readonly byId = new Map<string, WorkspaceRecord>();
  private readonly kept = new Set<string>();
  /** The batch the next write takes; null when none waits. */
  private forming: Batch | null = null;
  private writing = false;

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

  /** Home volumes deliberately kept after their workspace was deleted. */
  keptVolumes(): ReadonlySet<string> {
    return this.kept;
  }

  /** Commits a new record: in memory (as this very object) once it is on disk. */
  add(record: WorkspaceRecord): Promise<void> {
    return this.enqueue({ kind: 'add', record });
  }

  /**
   * Commits what `edit` does to a copy of `record`: the fields it changed are written, and set on
   * `record` itself once on disk (fields it did not touch may change meanwhile, e.g. idle clocks).
   * On a failed write `record` stays as it was and the promise rejects with `internal`.
   */
  change(record: WorkspaceRecord, edit: (draft: WorkspaceRecord) => void): Promise<void> {
    const live = this.byId.get(record.id);
    if (!live) return Promise.reject(new BerthError('not_found', `workspace "${record.name}" was deleted meanwhile`));
    const draft = structuredClone(live);
    edit(draft);
    const set: Record<string, unknown> = {};
    const unset: string[] = [];
    const before = live as Record<string, unknown>;
    const after = draft as Record<string, unknown>;
    for (const key of new Set([...Object.keys(before), ...Object.keys(after)])) {
      if (after[key] === undefined) {
        if (before[key] !== undefined) unset.push(key);
      } else if (JSON.stringify(after[key]) !== JSON.stringify(before[key])) set[key] = after[key];
    }
    if (!unset.length && !Object.keys(set).length) return Promise.resolve();
    return this.enqueue({ kind: 'patch', id: record.id, set, unset });
  }

  /** Commits the removal of a record; `keepVolume` names its home volume when it stays (not an orphan). */
  delete(id: string, keepVolume?: string): Promise<void> {
    return this.enqueue({ kind: 'remove', id, keepVolume });
  }

  /** Writes what memory holds; resolves when a write that includes every change so far is done. */
  save(): Promise<void> {
    return this.enqueue(null);
  }

  /**
   * Inserts or replaces a record in memory alone, for loading and tests; a state change is a commit
   * (`add`, `change`, `delete`).
   */
  put(record: WorkspaceRecord): void {
    this.byId.set(record.id, record);
  }

  /** Removes a record from memory alone (see `put`). */
  remove(id: string): void {
    this.byId.delete(id);
  }

  /** Keeps a volume in memory alone (see `put`). */
  keepVolume(volume: string): void {
    this.kept.add(volume);
  }

  private enqueue(change: Change | null): Promise<void> {
    const batch = (this.forming ??= newBatch());
    if (change) batch.changes.push(change);
    if (!this.writing) {
      this.writing = true;
      void this.drain();
    }
    return batch.done;
  }

  /** Writes batches one after another until none waits; each batch's changes reach memory after its write. */
  private async drain(): Promise<void> {
    for (let batch = this.forming; batch; batch = this.forming) {
      this.forming = null;
      try {
        await writeFileAtomic(this.file, JSON.stringify(this.content(batch.changes), null, 1));
      } catch (err) {
        batch.settle(
          new BerthError(
            'internal',
            `could not save the workspace state to ${this.file} (${errorMessage(err)}), so nothing was changed; free space on its disk or make it writable for the agent, then try again`,
          ),
        );
        continue;
      }
      for (const change of batch.changes) this.apply(change);
      batch.settle();
    }
    this.writing = false;
  }

  /** The file's content: memory with `changes` made, memory itself untouched. */
  private content(changes: readonly Change[]): StateFile {
    const byId = new Map(this.byId);
    const kept = new Set(this.kept);
    for (const change of changes) {
      switch (change.kind) {
        case 'add':
          byId.set(change.record.id, change.record);
          break;
        case 'patch': {
          const record = byId.get(change.id);
          // A record deleted since the change was made stays deleted.
          if (record) byId.set(change.id, patched(record, change));
          break;
        }
        case 'remove':
          byId.delete(change.id);
          if (change.keepVolume) kept.add(change.keepVolume);
          break;
      }
    }
    return { version: 1, workspaces: [...byId.values()], keptVolumes: [...kept] };
  }

  /** Makes a written change in memory; a patched record keeps its identity (others hold it). */
  private apply(change: Change): void {
    switch (change.kind) {
      case 'add':
        this.byId.set(change.record.id, change.record);
        return;
      case 'patch': {
        const record = this.byId.get(change.id);
        if (!record) return;
        Object.assign(record, change.set);
        for (const key of change.unset) delete (record as Record<string, unknown>)[key];
        return;
      }
      case 'remove':
        this.byId.delete(change.id);
        if (change.keepVolume) this.kept.add(change.keepVolume);
        return;
    }
  }
}
