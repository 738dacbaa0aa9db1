import { BerthError, type AssignedGpu, type GpuHolder, type HostGpu } from '../../protocol';
import type { AgentConfig } from '../config';
import type { User } from '../users';
import type { Logger } from '../../util/log';
import type { WorkspaceRecord } from '../state/record';
import type { WorkspaceSpec } from '../../protocol';
import type { Store } from '../state/store';
import { choose, describeFilters, heldBy, type GpuRequest, type Holding } from './allocator';
import { requestOf } from './requests';
import { readInventory, type GpuInventory } from './nvidia-smi';
import { busyRefusal, GpuRefusal, type Asker } from './refusals';

export { GpuRefusal };

/**
 * A wait in the GPU queue ended by someone else (the owner from another client, an admin): the
 * workspace stays, stopped, rather than rolled back or failed.
 */
export class QueueCancelled extends BerthError {}

/** How long a read of the inventory is reused by `host.info` before nvidia-smi runs again. */
const INVENTORY_TTL_MS = 5_000;

/** How a start waits for GPUs: up to `waitMs` (0: not at all), cancelled by `signal`, told its place. */
export interface AcquireOptions {
  waitMs: number;
  signal?: AbortSignal | undefined;
  onQueued(position: number, message: string): void;
}

interface Waiter {
  record: WorkspaceRecord;
  request: GpuRequest;
  /** The owner's quota when it queued: checked again when it is served (its other starts may have been served meanwhile). */
  quota: number | null;
  position: number;
  onQueued: AcquireOptions['onQueued'];
  settle(error?: BerthError): void;
}

/**
 * The host's GPUs and who holds them. Holdings live in the store (`assignedGpus` of each record), so
 * they survive agent restarts and the reconciler releases those whose container stopped meanwhile.
 * Every decision (read holders, choose, reserve) happens in one synchronous step, so concurrent
 * starts can never take the same GPU; a reservation counts as held until the store has saved it
 * (or failed to, when it is dropped and the record keeps what it held). When none are free a start may wait in a FIFO queue:
 * every release serves the queue from its head, and a later request never overtakes an earlier one
 * (a workspace being updated may always keep GPUs it holds). The owner's quota is checked again when
 * a waiter is served.
 */
export class Gpus {
  private inventory: GpuInventory = { devices: [] };
  private readAt = 0;
  private reading: Promise<GpuInventory> | null = null;
  private readonly queue: Waiter[] = [];
  /** Workspace id → GPUs chosen for it whose save is under way. */
  private readonly reserved = new Map<string, { record: WorkspaceRecord; uuids: string[] }>();

  constructor(
    private readonly config: AgentConfig['gpu'],
    private readonly store: Store,
    private readonly quotaOf: (user: string) => Promise<number | null>,
    private readonly log: Logger,
  ) {}

  /** Reads the inventory (at start) and logs what was found. */
  async load(): Promise<void> {
    await this.refresh(true);
    const { devices, note } = this.inventory;
    if (note) this.log.info(`GPUs: ${note}`);
    else {
      const assignable = devices.filter((device) => !device.mig).length;
      this.log.info(
        `GPUs: ${assignable} assignable (${devices.map((d) => `${d.index} ${d.name}`).join(', ')}); mode ${this.config.mode}, sharing ${this.config.sharing}`,
      );
    }
  }

  /**
   * Re-reads the inventory when the last read is older than a few seconds (or `force`); concurrent
   * callers share one nvidia-smi run.
   */
  async refresh(force = false): Promise<void> {
    if (!force && Date.now() - this.readAt < INVENTORY_TTL_MS) return;
    this.reading ??= readInventory(this.config.nvidiaSmi).finally(() => (this.reading = null));
    const next = await this.reading;
    this.readAt = Date.now();
    // A failed re-read keeps the GPUs known from before: workspaces still hold them.
    if (!next.devices.length && this.inventory.devices.length && next.note) {
      this.inventory = { devices: this.inventory.devices, note: `last nvidia-smi read failed: ${next.note}` };
    } else this.inventory = next;
  }

  /** Why there are no GPUs (or the list may be stale); undefined when all is well. */
  get note(): string | undefined {
    return this.inventory.note;
  }

  /** Index and model of a held UUID, for the workspace view. */
  describe(uuid: string): AssignedGpu {
    const device = this.inventory.devices.find((d) => d.uuid === uuid);
    return { uuid, index: device?.index ?? '?', name: device?.name ?? 'GPU not in the inventory' };
  }

  /** The inventory with holders as `viewer` may see them: names of their own (all, for an admin), else anonymous. */
  hostGpus(viewer: User): HostGpu[] {
    const holdings = this.holdings();
    return this.inventory.devices.map((device) => {
      const holders: GpuHolder[] = holdings
        .filter((holding) => holding.uuids.includes(device.uuid))
        .map((holding) =>
          viewer.admin || holding.owner === viewer.name
            ? { owner: holding.owner, workspace: holding.name }
            : { owner: null, workspace: null },
        );
      const slots = device.mig ? 0 : this.config.sharing;
      return { ...device, slots, free: Math.max(0, slots - holders.length), holders };
    });
  }

  /** Where `workspaceId` stands in the GPU queue (1: next) and how many GPUs it waits for; undefined when not queued. */
  queued(workspaceId: string): { position: number; gpus: number } | undefined {
    const index = this.queue.findIndex((waiter) => waiter.record.id === workspaceId);
    const waiter = this.queue[index];
    return waiter ? { position: index + 1, gpus: waiter.request.count } : undefined;
  }

  /** Ends the wait of `workspaceId` in the queue with `error` (its start then fails with it); false when it was not waiting. */
  cancel(workspaceId: string, error: QueueCancelled): boolean {
    const waiter = this.queue.find((candidate) => candidate.record.id === workspaceId);
    waiter?.settle(error);
    return waiter !== undefined;
  }

  /**
   * Gives `record` the GPUs its spec asks for and saves that to the store, before its container is
   * made. GPUs it already holds are kept when they still fit. When too few are free: `no_capacity`
   * naming the holders, or (with `waitMs`) a place in the queue until they are, the time runs out
   * (`no_capacity`) or the request is cancelled (`cancelled`). Beyond the owner's quota: `forbidden`.
   */
  async acquire(record: WorkspaceRecord, options: AcquireOptions): Promise<void> {
    const request = requestOf(record.spec);
    if (request.count === 0) {
      const held = record.assignedGpus;
      if (!held?.length) return;
      await this.store.change(record, (draft) => delete draft.assignedGpus);
      return this.released(record, held);
    }
    await this.refresh();
    const quota = await this.quotaOf(record.owner);
    const over = this.quotaError(record, request, quota);
    if (over) throw over;
    // Waiters come first, except for a workspace that keeps GPUs it holds (a running one being updated).
    const queued = this.queue.length > 0 && !this.keepsOwn(record, request);
    const error = queued ? this.queuedError(request) : this.tryAssign(record, request);
    if (error) {
      if (options.waitMs <= 0) throw error;
      await this.wait(record, request, quota, options);
    }
    await this.commitReserved(record);
  }

  /** Saves the GPUs reserved for `record` into its record; on a failed save they are free again. */
  private async commitReserved(record: WorkspaceRecord): Promise<void> {
    const reservation = this.reserved.get(record.id);
    if (!reservation) return;
    const before = record.assignedGpus ?? [];
    try {
      await this.store.change(record, (draft) => (draft.assignedGpus = reservation.uuids));
    } catch (err) {
      this.wake();
      throw err;
    } finally {
      if (this.reserved.get(record.id) === reservation) this.reserved.delete(record.id);
    }
    this.log.info(`GPUs ${reservation.uuids.join(', ')} assigned to ${record.owner}/${record.name}`);
    // A workspace asking for fewer than it held (an update) frees the rest for the queue.
    if (before.some((uuid) => !reservation.uuids.includes(uuid))) this.wake();
  }

  /** Whether `record` already holds every GPU `request` would give it now (it takes nothing from the queue). */
  private keepsOwn(record: WorkspaceRecord, request: GpuRequest): boolean {
    const current = record.assignedGpus ?? [];
    if (!current.length) return false;
    const choice = choose(this.inventory.devices, this.holdings(), request, this.config.sharing, {
      workspaceId: record.id,
      current,
    });
    return choice.kind === 'ok' && choice.uuids.every((uuid) => current.includes(uuid));
  }

  /** `forbidden` when `request` would take the owner past `quota` (null: no limit); else undefined. */
  private quotaError(record: Asker, request: GpuRequest, quota: number | null): GpuRefusal | undefined {
    if (quota === null) return undefined;
    const mine = heldBy(this.holdings(), record.owner, record.id);
    const held = mine.reduce((sum, holding) => sum + holding.uuids.length, 0);
    if (held + request.count <= quota) return undefined;
    const where = mine.length ? ` (in ${mine.map((holding) => holding.name).join(', ')})` : '';
    return new GpuRefusal(
      'forbidden',
      `GPU quota of ${record.owner} is ${quota}: ${held} held${where}, ${request.count} more asked for; stop a workspace that holds GPUs, or ask an admin to raise it (berth quota ${record.owner} N)`,
      { quota, held, requested: request.count },
    );
  }

  /**
   * Drops the GPUs `record` holds in memory alone (the caller saves; the service instead commits the
   * record without them and calls `released`). True when it held any.
   */
  release(record: WorkspaceRecord): boolean {
    const held = record.assignedGpus;
    if (!held?.length) return false;
    delete record.assignedGpus;
    this.released(record, held);
    return true;
  }

  /** Logs that `record` gave back `uuids` (already saved without them) and serves the queue. */
  released(record: WorkspaceRecord, uuids: readonly string[]): void {
    this.log.info(`GPUs ${uuids.join(', ')} released by ${record.owner}/${record.name}`);
    this.wake();
  }

  /** Serves the queue after GPUs were freed some other way (a workspace deleted). */
  wake(): void {
    queueMicrotask(() => this.serveQueue());
  }

  /** Who holds what: the records' GPUs, and with them those reserved whose save is under way. */
  private holdings(): Holding[] {
    const holdings = new Map<string, Holding>();
    const hold = (record: WorkspaceRecord, uuids: readonly string[]) => {
      const held = holdings.get(record.id)?.uuids ?? [];
      const all = [...held, ...uuids.filter((uuid) => !held.includes(uuid))];
      holdings.set(record.id, { workspaceId: record.id, owner: record.owner, name: record.name, uuids: all });
    };
    for (const record of this.store.all()) if (record.assignedGpus?.length) hold(record, record.assignedGpus);
    for (const { record, uuids } of this.reserved.values()) hold(record, uuids);
    return [...holdings.values()];
  }

  /** Reserves at once when possible (returns undefined); else the error to give, unless it may wait. */
  private tryAssign(record: WorkspaceRecord, request: GpuRequest): BerthError | undefined {
    const choice = choose(this.inventory.devices, this.holdings(), request, this.config.sharing, {
      workspaceId: record.id,
      current: record.assignedGpus ?? [],
    });
    if (choice.kind === 'impossible') throw this.impossible(choice.message);
    if (choice.kind === 'ok') {
      this.reserved.set(record.id, { record, uuids: choice.uuids });
      return undefined;
    }
    return this.busyError(record, request, choice.candidates, choice.free);
  }

  /** `no_capacity` for a request no device of the host could ever meet. */
  private impossible(message: string): GpuRefusal {
    const { devices, note } = this.inventory;
    return new GpuRefusal(
      'no_capacity',
      !devices.length && note ? `${note}; create the workspace with --gpus 0` : message,
    );
  }

  /**
   * Throws what {@link acquire} without waiting would throw now for a new workspace of `owner` asking
   * for `spec`'s GPUs, and reserves nothing (`workspace.admit`).
   */
  async requireFree(owner: string, spec: WorkspaceSpec): Promise<void> {
    const request = requestOf(spec);
    // Optional GPUs: a start refused them goes on without (bring-up.ts), so nothing refuses it.
    if (request.count === 0 || spec.gpusOptional) return;
    await this.refresh();
    const asker: Asker = { id: '', owner };
    const over = this.quotaError(asker, request, await this.quotaOf(owner));
    if (over) throw over;
    if (this.queue.length > 0) throw this.queuedError(request, 'try again once they have started');
    const busy = this.busyNow(asker, request, 'stop one, or try again once some are free');
    if (busy) throw busy;
  }

  /** The refusal a start of `asker` would get now when too few GPUs are free for `request`, or null. */
  private busyNow(asker: Asker, request: GpuRequest, advice?: string): GpuRefusal | null {
    const choice = choose(this.inventory.devices, this.holdings(), request, this.config.sharing, {
      workspaceId: asker.id,
      current: [],
    });
    if (choice.kind === 'impossible') return this.impossible(choice.message);
    if (choice.kind !== 'busy') return null;
    return busyRefusal(this.holdings(), asker, request, choice.candidates, choice.free, advice);
  }

  /** `no_capacity` naming who holds the matching GPUs: the asker's workspaces by name, others by count. */
  private busyError(asker: Asker, request: GpuRequest, candidates: string[], free: number): GpuRefusal {
    return busyRefusal(this.holdings(), asker, request, candidates, free);
  }

  private queuedError(request: GpuRequest, advice = 'wait your turn with --wait-gpus'): BerthError {
    // Impossible requests fail at once even behind a queue.
    const choice = choose(this.inventory.devices, [], request, this.config.sharing, {
      workspaceId: '',
      current: [],
    });
    if (choice.kind === 'impossible') throw new GpuRefusal('no_capacity', choice.message);
    return new GpuRefusal(
      'no_capacity',
      `${this.queue.length} earlier start${this.queue.length > 1 ? 's are' : ' is'} waiting for GPUs; ${advice}`,
      { requested: request.count, queued: this.queue.length },
    );
  }

  private wait(
    record: WorkspaceRecord,
    request: GpuRequest,
    quota: number | null,
    options: AcquireOptions,
  ): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const onAbort = () => waiter.settle(new BerthError('cancelled', 'cancelled while waiting for GPUs'));
      const timer = setTimeout(() => {
        const busy = this.busyNow(record, request);
        const waited = `${+(options.waitMs / 1000).toFixed(1)} s`;
        const why = busy?.message ?? 'still none free';
        waiter.settle(new GpuRefusal('no_capacity', `waited ${waited} for GPUs in vain: ${why}`, busy?.data));
      }, options.waitMs);
      const waiter: Waiter = {
        record,
        request,
        quota,
        position: 0,
        onQueued: (position, message) => options.onQueued(position, message),
        settle: (error) => {
          clearTimeout(timer);
          options.signal?.removeEventListener('abort', onAbort);
          const index = this.queue.indexOf(waiter);
          if (index >= 0) this.queue.splice(index, 1);
          this.reportPositions();
          if (error) {
            // A waiter that gives up may have been what held up the ones behind it.
            if (index >= 0) queueMicrotask(() => this.serveQueue());
            reject(error);
          } else resolve();
        },
      };
      if (options.signal?.aborted) return onAbort();
      options.signal?.addEventListener('abort', onAbort, { once: true });
      this.queue.push(waiter);
      this.log.info(`${record.owner}/${record.name} waits for ${request.count} GPU(s), place ${this.queue.length}`);
      this.reportPositions();
    });
  }

  /** Assigns GPUs to waiters from the head of the queue for as long as the head can be served. */
  private serveQueue(): void {
    for (let head = this.queue[0]; head; head = this.queue[0]) {
      const over = this.quotaError(head.record, head.request, head.quota);
      if (over) {
        head.settle(over);
        continue;
      }
      let error: BerthError | undefined;
      try {
        error = this.tryAssign(head.record, head.request);
      } catch (err) {
        head.settle(err as BerthError);
        continue;
      }
      if (error) break;
      head.settle();
    }
  }

  /** Tells each waiter whose place changed where it now stands. */
  private reportPositions(): void {
    this.queue.forEach((waiter, index) => {
      if (waiter.position === index + 1) return;
      waiter.position = index + 1;
      const count = waiter.request.count;
      waiter.onQueued(
        waiter.position,
        `Waiting for ${count} GPU${count > 1 ? 's' : ''}${describeFilters(waiter.request)}: place ${waiter.position} in the queue`,
      );
    });
  }
}
