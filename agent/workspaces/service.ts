import { randomBytes } from 'node:crypto';
import {
  applyChanges,
  BerthError,
  type ProgressPhase,
  type Workspace,
  type WorkspaceChanges,
  type WorkspaceRef,
  type WorkspaceSpecInput,
  type WorkspaceState,
  type StopReason,
} from '../../protocol';
import type { User } from '../users';
import { errorMessage } from '../../util/log';
import { GpuRefusal, QueueCancelled } from '../gpu/gpus';
import { requireAdminToPin } from '../gpu/requests';
import { generateEd25519KeyPair } from '../../util/ed25519';
import { toWorkspace, volumeName, type WorkspaceRecord } from '../state/record';
import { specChanged } from '../state/history';
import { bringUp, exitReason, requireHome, type BroughtUp } from './bring-up';
import { noteLifecycleFailure, type StepFailure } from './lifecycle';
import { finishDelete, rollBack, type Deleted } from './take-down';
import { archivedRefusal } from './archived';
import { OperationGate } from './gate';
import { KeyWriter } from './keys';
import { Reservations } from './reservations';
import { reportProgress, type OpContext, type RestoreFrom, type ServiceDeps } from './operation';
import { requireIdleWithinMax, requireImage, sameContainer, validSpec } from './spec-rules';
import { checkedSpec } from './admit';
import { requireHostAllows } from './volume-rules';
import { resolveRecord } from './resolve';
import { saveState, unstage } from './state-change';

export type { OpContext, ServiceDeps } from './operation';

/**
 * The workspace lifecycle. One operation at a time per workspace (a second gets `conflict`). Every
 * state change is a store commit: saved before the request that caused it is answered, and made in
 * memory only once saved, so a change the disk refused is refused and never carried out later.
 */
export class WorkspaceService {
  /** The operation running on each workspace. */
  private readonly gate = new OperationGate();
  /** The authorized_keys writes, one owner's at a time. */
  private readonly keys: KeyWriter;
  /** Names and ports of new workspaces. */
  readonly reservations: Reservations;

  /** Recomputes a running workspace's idle deadline in a record being saved (set by the idle monitor's owner). */
  private redecideIdle: (draft: WorkspaceRecord) => void = () => undefined;

  constructor(readonly deps: ServiceDeps) {
    this.keys = new KeyWriter(deps.users, deps.bootstrap);
    this.reservations = new Reservations(deps.store, deps.ports);
  }

  /** Lets the idle monitor recompute the deadline when idle settings change (an update), in the same save. */
  onIdleSettings(redecide: (draft: WorkspaceRecord) => void): void {
    this.redecideIdle = redecide;
  }

  /** The workspaces `user` may see: their own, or all for an admin. */
  list(user: User): Workspace[] {
    return this.deps.store
      .all()
      .filter((record) => user.admin || record.owner === user.name)
      .map((record) => this.view(record));
  }

  /** One workspace, with its lifecycle history (which only this reply carries). */
  get(user: User, ref: WorkspaceRef): Workspace {
    const record = this.resolve(user, ref);
    return { ...this.view(record), ...(record.history?.length ? { history: record.history } : {}) };
  }

  /** The protocol view of a record. */
  view(record: WorkspaceRecord): Workspace {
    const workspace = toWorkspace(record, this.deps.config.sshHost, (uuid) => this.deps.gpus.describe(uuid));
    const disk = this.deps.disk?.of(record);
    if (disk) workspace.disk = disk;
    const queued = this.deps.gpus.queued(record.id);
    if (queued) workspace.gpuQueue = queued;
    return workspace;
  }

  /** Whether an operation is running on the workspace (the reconciler leaves such ones alone). */
  isBusy(id: string): boolean {
    return this.gate.has(id);
  }

  /**
   * Creates a workspace and waits until it is running; on failure nothing of it is left behind. With
   * `home` it takes over that kept home (the workspace gets the home's id), which a failure keeps;
   * `fromTrash`: that home is a trashed one being restored.
   */
  async create(
    user: User,
    input: WorkspaceSpecInput,
    ctx: OpContext,
    home?: string,
    fromTrash = false,
  ): Promise<Workspace> {
    if (home === undefined) return this.createOn(user, input, ctx, randomBytes(6).toString('hex'), false);
    if (!this.deps.homes) throw new BerthError('invalid_params', 'this agent cannot reattach homes');
    const release = await this.deps.homes.claim(user, home, fromTrash);
    try {
      return await this.createOn(user, input, ctx, home, true);
    } finally {
      release();
    }
  }

  /** Creates a workspace from a backup (agent/workspaces/backup.ts); recorded only once `from.fill` succeeded. */
  restore(user: User, input: WorkspaceSpecInput, ctx: OpContext, from: RestoreFrom): Promise<Workspace> {
    return this.createOn(user, input, ctx, randomBytes(6).toString('hex'), false, from);
  }

  private async createOn(
    user: User,
    input: WorkspaceSpecInput,
    ctx: OpContext,
    id: string,
    reattach: boolean,
    from?: RestoreFrom,
  ): Promise<Workspace> {
    const { store, runtime, bootstrap } = this.deps;
    const spec = await checkedSpec(this.deps, user, input);
    const hostKey = from?.hostKey ?? generateEd25519KeyPair(`berth-${id}`);
    const record = await this.reservations.reserve(user, id, spec, hostKey.publicKey, (reserved) => {
      this.gate.enter(reserved, 'creating');
      this.progress(reserved, ctx, 'allocating', `Assigned SSH port ${reserved.port}`);
    });
    try {
      await bootstrap.create(record.id, hostKey.privateKey, hostKey.publicKey);
      await from?.fill(record);
      await store.add(record);
      this.announce(record);
      const volume = volumeName(record.id);
      this.progress(record, ctx, 'creating-volume', `${reattach ? 'Reattaching' : 'Creating'} home volume ${volume}`);
      await runtime.ensureVolume(record);
      if (reattach) await this.deps.homes?.reattached(record.id);
      const up = await this.bringUp(record, ctx);
      await this.setState(record, 'running', up.message, up.edit);
      up.rest((failure) => void this.noteFailure(record, failure));
      return this.view(record);
    } catch (err) {
      if (err instanceof QueueCancelled && (await this.keepStopped(record, err.message))) {
        const kept = `${err.message}; "${record.name}" is kept, stopped: start it or delete it`;
        throw new BerthError('cancelled', kept, err.data);
      }
      this.deps.log.warn(`create ${record.owner}/${record.name} failed, rolling back: ${errorMessage(err)}`);
      await rollBack(this.deps, record, reattach);
      throw err;
    } finally {
      this.gate.leave(record.id);
      this.reservations.release(record.id);
    }
  }

  /** Starts a stopped or failed workspace; a running one is returned as it is. */
  async start(user: User, ref: WorkspaceRef, ctx: OpContext): Promise<Workspace> {
    const record = this.resolve(user, ref);
    requireHostAllows(this.deps.config, record.spec, record.owner);
    return this.exclusive(record, 'starting', async () => {
      if (record.state === 'running') return this.view(record);
      if (record.archivedAt) throw archivedRefusal(record);
      await requireHome(this.deps, record, ctx);
      await this.setState(record, 'starting');
      await this.bringUpOrFail(record, ctx);
      return this.view(record);
    });
  }

  /**
   * Stops a running workspace and starts it again as one operation (no other can come between), with
   * progress; the GPUs it holds stay its own throughout. A stopped or failed one is simply started.
   */
  async restart(user: User, ref: WorkspaceRef, ctx: OpContext): Promise<Workspace> {
    const record = this.resolve(user, ref);
    requireHostAllows(this.deps.config, record.spec, record.owner);
    return this.exclusive(record, 'restarting', async () => {
      if (record.archivedAt) throw archivedRefusal(record);
      await requireHome(this.deps, record, ctx);
      if (record.state === 'running') {
        // `stopping` and `starting` keep the GPUs: only `stopped` and `failed` give them back.
        await this.setState(record, 'stopping', undefined, (draft) => (draft.stopReason = 'user'));
        this.progress(record, ctx, 'stopping', 'Stopping the container');
        await this.deps.runtime.stopContainer(record.id, this.deps.config.stopTimeoutSeconds);
      }
      await this.setState(record, 'starting', record.state === 'stopping' ? 'Restarting' : undefined);
      await this.bringUpOrFail(record, ctx);
      return this.view(record);
    });
  }

  /**
   * Stops a workspace; its container and home volume are kept. `reason` is recorded (a user's stop by
   * default). One waiting for GPUs leaves the queue and stays stopped.
   */
  async stop(user: User, ref: WorkspaceRef, ctx: OpContext, reason: StopReason = 'user'): Promise<Workspace> {
    const record = this.resolve(user, ref);
    await this.cancelQueued(user, record);
    return this.stopRecord(record, ctx, reason);
  }

  /** Stops the workspace of `record` for `reason` (the idle monitor's path: no user to resolve). */
  async stopRecord(record: WorkspaceRecord, ctx: OpContext, reason: StopReason): Promise<Workspace> {
    return this.exclusive(record, 'stopping', async () => {
      if (record.state === 'stopped') return this.view(record);
      await this.setState(record, 'stopping', undefined, (draft) => (draft.stopReason = reason));
      this.progress(record, ctx, 'stopping', 'Stopping the container');
      await this.deps.runtime.stopContainer(record.id, this.deps.config.stopTimeoutSeconds);
      await this.setState(record, 'stopped');
      this.progress(record, ctx, 'done', 'Stopped');
      return this.view(record);
    });
  }

  /** Deletes a workspace; its home goes only with `deleteData` (to the trash, unless `now`); `why` is logged. */
  async delete(user: User, ref: WorkspaceRef, deleteData: boolean, ctx: OpContext, now = false, why?: string) {
    const record = this.resolve(user, ref);
    await this.cancelQueued(user, record);
    return this.exclusive(record, 'deleting', async () => {
      if (why) this.deps.log.info(`deleting ${record.owner}/${record.name}: ${why}`);
      await this.setState(record, 'deleting', why, (draft) => {
        draft.deleteData = deleteData;
        if (deleteData && now) draft.deleteNow = true;
      });
      return this.finishDelete(record, ctx);
    });
  }

  /** Completes a delete whose record is in `deleting` (also after an agent restart). */
  finishDelete(record: WorkspaceRecord, ctx: OpContext): Promise<Deleted> {
    return finishDelete(this.deps, record, ctx);
  }

  /**
   * Changes image, limits or settings. A running workspace is recreated on its volume and started
   * again, unless only what the agent alone reads (the idle settings) changed (`ctx.recreate`: even then).
   */
  async update(user: User, ref: WorkspaceRef, changes: WorkspaceChanges, ctx: OpContext): Promise<Workspace> {
    const recreate = ctx.recreate === true;
    const record = this.resolve(user, ref);
    const spec = validSpec(applyChanges(record.spec, changes));
    requireHostAllows(this.deps.config, spec, record.owner);
    requireIdleWithinMax(changes, this.deps.config.idle);
    // Removing a pin is the admin's too.
    requireAdminToPin(user, changes.gpuUuids === null ? record.spec.gpuUuids : changes.gpuUuids);
    if (changes.image !== undefined) {
      await requireImage(this.deps.runtime, spec.image, record.owner, this.deps.config.allowPull);
    }
    const oldImage = record.spec.image;
    const workspace = await this.exclusive(record, 'updating', async () => {
      const wasRunning = record.state === 'running';
      const keepContainer = !recreate && sameContainer(record.spec, spec);
      if (recreate && !wasRunning) await this.deps.runtime.removeContainer(record.id);
      // A failure belongs to the old spec: with a new image or new limits it is stopped, ready for a fresh try.
      if (record.state === 'failed' && !keepContainer) {
        await this.setState(record, 'stopped', undefined, (draft) => {
          draft.spec = spec;
          delete draft.stopReason;
        });
        return this.view(record);
      }
      // Idle settings are the agent's own: a running workspace keeps its container, its run and its clocks.
      if (!wasRunning || keepContainer) {
        await this.deps.store.change(record, (draft) => {
          draft.spec = spec;
          specChanged(draft, draft.state, new Date().toISOString());
          if (wasRunning) this.redecideIdle(draft);
        });
        this.announce(record);
        return this.view(record);
      }
      await requireHome(this.deps, record, ctx);
      await this.setState(record, 'starting', 'Applying the new spec', (draft) => (draft.spec = spec));
      if (recreate) await this.deps.runtime.removeContainer(record.id);
      await this.bringUpOrFail(record, ctx);
      return this.view(record);
    });
    if (record.spec.image !== oldImage) this.deps.images?.release(oldImage);
    return workspace;
  }

  /** Rewrites the authorized keys of every workspace of `owner` (after a key was added or removed). */
  refreshKeys(owner: string): Promise<void> {
    return this.keys.write(owner, () => this.deps.store.all().filter((record) => record.owner === owner));
  }

  /**
   * Runs `fn` as the only operation on the workspace; a concurrent one gets `conflict` instead of
   * interleaving. Exposed for the reconciler.
   */
  exclusive<T>(record: WorkspaceRecord, operation: string, fn: () => Promise<T>): Promise<T> {
    return this.gate.exclusive(record, operation, fn);
  }

  /**
   * Ends the wait of a create or start queued for GPUs, on behalf of `user` (resolved as the owner
   * or an admin): that request fails with `cancelled` naming them, the workspace stays stopped.
   * Resolves once its operation has ended; nothing happens when it was not waiting.
   */
  private async cancelQueued(user: User, record: WorkspaceRecord): Promise<void> {
    if (!this.deps.gpus.queued(record.id)) return;
    const ended = this.gate.ended(record.id);
    this.deps.gpus.cancel(
      record.id,
      new QueueCancelled('cancelled', `cancelled by ${user.name} while waiting for GPUs`, { cancelledBy: user.name }),
    );
    await ended;
  }

  /** Leaves a create whose GPU wait someone else ended stopped, as it stands; false when that cannot be saved. */
  private async keepStopped(record: WorkspaceRecord, message: string): Promise<boolean> {
    return this.setState(record, 'stopped', message, (draft) => (draft.stopReason = 'user')).then(
      () => true,
      () => false,
    );
  }

  /**
   * Records a new state (with what `edit` changes besides) and tells the clients. Nothing changes in
   * memory unless the store saved it: a failed save rejects, and the record stays as it was.
   * Every way a run ends comes here with `stopped` or `failed`: its staged secrets leave memory here.
   */
  async setState(
    record: WorkspaceRecord,
    state: WorkspaceState,
    message?: string,
    edit?: (draft: WorkspaceRecord) => void,
  ): Promise<void> {
    const released = await saveState(this.deps, record, state, message, edit);
    if (released) this.deps.gpus.released(record, released);
    if (state === 'stopped' || state === 'failed') await unstage(this.deps, record);
    this.announce(record);
  }

  /** Makes the container match the spec, starts it and waits for sshd (see bring-up.ts). */
  bringUp(record: WorkspaceRecord, ctx: OpContext): Promise<BroughtUp> {
    return bringUp(this.deps, this.keys, record, ctx, () => this.announce(record));
  }

  /** Why the container is not running, from its exit code and last output; null while it runs. */
  exitReason(record: WorkspaceRecord): Promise<string | null> {
    return exitReason(this.deps.runtime, record);
  }

  /** Brings it up and records `running`; on failure `failed` (or `stopped` when refused or cancelled), and rethrows. */
  async bringUpOrFail(record: WorkspaceRecord, ctx: OpContext): Promise<void> {
    try {
      const up = await this.bringUp(record, ctx);
      await this.setState(record, 'running', up.message, up.edit);
      up.rest((failure) => void this.noteFailure(record, failure));
    } catch (err) {
      await this.deps.runtime.stopContainer(record.id, 0).catch(() => undefined);
      const cancelled = err instanceof BerthError && err.code === 'cancelled';
      // No free GPU (or over quota) is a refusal to start, not a failure of the workspace.
      const refused = err instanceof GpuRefusal;
      // When even this cannot be saved, the record stays `starting` (the reconciler fails it later);
      // the caller hears the first error, which says what went wrong.
      await this.setState(
        record,
        cancelled || refused ? 'stopped' : 'failed',
        cancelled && !(err instanceof QueueCancelled) ? 'start was cancelled' : errorMessage(err),
      ).catch((saveError) =>
        this.deps.log.warn(
          `could not record that ${record.owner}/${record.name} did not start: ${errorMessage(saveError)}`,
        ),
      );
      throw err;
    }
  }

  /** The record `ref` names, if `user` may use it; `forbidden` or `not_found` otherwise. */
  resolve(user: User, ref: WorkspaceRef): WorkspaceRecord {
    return resolveRecord(this.deps.store, this.reservations, user, ref);
  }

  /** Shows a lifecycle command's failure after the start was answered in the message of a workspace still running. */
  private noteFailure(record: WorkspaceRecord, failure: StepFailure): Promise<void> {
    return noteLifecycleFailure(this.deps, record, failure, () => this.announce(record));
  }

  /** Tells the owner's clients (and admins) how the workspace looks now. */
  announce(record: WorkspaceRecord): void {
    this.deps.bus.emit({ event: 'workspace.changed', data: { workspace: this.view(record) } }, record.owner);
  }

  private progress(
    record: WorkspaceRecord,
    ctx: OpContext,
    phase: ProgressPhase,
    message: string,
    queuePosition?: number,
  ): void {
    reportProgress(this.deps.bus, record, ctx, phase, message, queuePosition);
  }
}
