import type { ActivitySignal, IdleStatus } from '../../protocol';
import type { AgentConfig } from '../config';
import type { Runtime } from '../runtime/runtime';
import { errorMessage, type Logger } from '../../util/log';
import type { EventBus } from './events';
import type { WorkspaceRecord } from '../state/record';
import type { WorkspaceService } from './service';
import type { Store } from '../state/store';
import { runClocks, strongest } from '../idle/clocks';
import type { Decision } from '../idle/policy';
import type { GpuProbe } from '../idle/gpu';
import { HostSignals } from '../idle/signals';
import { deadlineMoved, decideFor, observe, type IdleObservation, type Observed } from './idle-observe';
import { idleStatus } from './idle-status';

export type { IdleObservation } from './idle-observe';

/** A decision, and whether it moved the published deadline. */
interface Marked {
  decision: Decision;
  moved: boolean;
}

/** The moving clocks (last work, last attached) reach the store at least this often while they move. */
const PERSIST_EVERY_MS = 120_000;

export interface MonitorDeps {
  config: AgentConfig;
  store: Store;
  service: WorkspaceService;
  runtime: Runtime;
  bus: EventBus;
  log: Logger;
  /** GPU use per workspace id; absent on hosts without GPUs. */
  gpuProbe?: GpuProbe;
  signals?: HostSignals;
}

/**
 * The idle monitor: every `config.idle.interval` seconds it samples each running workspace (SSH
 * connections, CPU, GPU), updates its clocks, and applies the pure policy — a warning event first,
 * then the stop through the service's ordinary stop path with the reason. Workspaces that are not
 * running or have an operation under way are never touched. Clocks live in the record and reach the
 * store when a signal changes, a warning goes out, or at least every two minutes while they move,
 * so an agent restart neither grants fresh timeouts nor stops what was active just before.
 */
export class IdleMonitor {
  private timer: NodeJS.Timeout | null = null;
  private ticking: Promise<void> | null = null;
  /** Idle stops under way (each settles, failures logged): `stop()` lets them finish. */
  private readonly stopping = new Set<Promise<void>>();
  private readonly signals: HostSignals;
  /** Workspace id → its container's pid, valid while the record's `since` is unchanged. */
  private readonly pids = new Map<string, { since: string; pid: number }>();
  private readonly seen = new Map<string, IdleObservation>();
  /** Workspace id → the last activity written to the store, and when. */
  private readonly persisted = new Map<string, { at: number; signal: string; activityAt: string }>();
  /** Workspaces whose CPU use could not be measured, already logged once. */
  private readonly unmeasured = new Set<string>();

  constructor(private readonly deps: MonitorDeps) {
    this.signals = deps.signals ?? new HostSignals();
  }

  /** Starts the periodic loop (the first tick comes one interval from now). */
  start(): void {
    const every = this.deps.config.idle.interval * 1000;
    const loop = () => {
      this.timer = setTimeout(() => {
        this.ticking = this.tick()
          .catch((err) => this.deps.log.warn(`idle: a pass over the workspaces failed: ${errorMessage(err)}`))
          .finally(() => {
            this.ticking = null;
            if (this.timer) loop();
          });
      }, every);
    };
    loop();
  }

  /** Stops the loop and waits for a tick under way and the idle stops it began. */
  async stop(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.ticking;
    await Promise.all(this.stopping);
  }

  /** What the last tick saw of a running workspace; undefined before its first sample. */
  observation(id: string): IdleObservation | undefined {
    return this.seen.get(id);
  }

  /** The main process of a running workspace's container (0 when none runs), cached as for the monitor's samples. */
  containerPid(record: WorkspaceRecord): Promise<number> {
    return this.pid(record);
  }

  /** One pass over every workspace. Exposed for tests and the benchmark. */
  async tick(now = Date.now()): Promise<void> {
    const records = this.deps.store.all();
    // Stopped workspaces, and deleted ones the store no longer holds, start afresh if they run again.
    const live = new Set(records.filter((record) => record.state === 'running').map((record) => record.id));
    for (const id of [...this.pids.keys(), ...this.seen.keys(), ...this.persisted.keys(), ...this.unmeasured]) {
      if (!live.has(id)) this.forget(id);
    }
    this.signals.retain(live);
    const running = records.filter((record) => record.state === 'running' && !this.deps.service.isBusy(record.id));
    const pids = new Map<string, number>();
    for (const record of running) {
      const pid = await this.pid(record).catch((err) => {
        this.deps.log.warn(`idle: could not inspect ${record.owner}/${record.name}: ${errorMessage(err)}`);
        return 0;
      });
      if (pid) pids.set(record.id, pid);
    }
    const gpu = await this.probeGpus(running, pids);
    let save = false;
    for (const record of running) {
      const pid = pids.get(record.id);
      if (pid) {
        try {
          save = (await this.check(record, pid, now, gpu.get(record.id) ?? null)) || save;
        } catch (err) {
          this.pids.delete(record.id);
          this.deps.log.warn(`idle: could not sample ${record.owner}/${record.name}: ${errorMessage(err)}`);
        }
      }
      save = this.due(record, now) || save;
    }
    if (save) await this.deps.store.save();
  }

  /**
   * A client reported someone present: the idle clock starts again from now. Reports are coalesced:
   * the next tick writes the store (when the signal changed, or every two minutes).
   */
  present(record: WorkspaceRecord, now = Date.now()): void {
    if (record.state !== 'running') return;
    this.work(record, now, 'present');
    if (record.lastActivity) record.lastActivity.source = 'extension';
    this.apply(record, now);
  }

  /**
   * "Keep running until": no idle stop before `until`; it also counts as activity. Saved at once, as
   * an explicit request deserves.
   */
  async keepalive(record: WorkspaceRecord, until: number, now = Date.now()): Promise<void> {
    let marked!: Marked;
    await this.deps.store.change(record, (draft) => {
      draft.keepUntil = new Date(until).toISOString();
      this.work(draft, now, 'keepalive');
      marked = this.redecide(draft, now);
    });
    this.announce(record, marked, true);
  }

  /**
   * After an explicit change to a running workspace (a keepalive, new idle settings in `draft`): decides again and publishes
   * the deadline exactly, at once, so `ls` and `idle` never show the old one until the next tick.
   */
  redecide(draft: WorkspaceRecord, now = Date.now()): Marked {
    const marked = this.mark(draft, now, undefined, true);
    const seen = this.seen.get(draft.id);
    if (seen) this.seen.set(draft.id, { ...seen, decision: marked.decision });
    return marked;
  }

  /** Ends a keepalive now: idle stops apply again from the last activity (ending one is no activity). */
  async endKeepalive(record: WorkspaceRecord, now = Date.now()): Promise<void> {
    let marked!: Marked;
    await this.deps.store.change(record, (draft) => {
      delete draft.keepUntil;
      marked = this.mark(draft, now);
    });
    this.announce(record, marked, true);
  }

  /** Samples one workspace and acts on the decision; returns whether the store should be written. */
  private async check(record: WorkspaceRecord, pid: number, now: number, gpuBusy: boolean | null): Promise<boolean> {
    const sample = await this.signals.sample(record.id, pid, now);
    const observed = observe(sample, gpuBusy, this.deps.config.idle.cpuThreshold);
    // An operation may have begun (or the workspace stopped) while this pass was reading.
    if (record.state !== 'running' || this.deps.service.isBusy(record.id)) return false;
    this.reportUnmeasured(record, pid, observed);
    const clocks = runClocks(record);
    const at = new Date(now).toISOString();
    const signals: ActivitySignal[] = [];
    if (observed.busy) {
      signals.push('busy');
      clocks.lastWorkAt = at;
    }
    if (observed.typing) {
      // Typing is presence (issue #16): input read from one of its terminals in this window.
      signals.push('present');
      clocks.lastWorkAt = clocks.lastTypingAt = at;
    }
    if (observed.attached > 0) {
      signals.push('attached');
      clocks.lastAttachedAt = at;
      clocks.attachedSince ??= at;
    } else delete clocks.attachedSince;
    const signal = strongest(signals);
    // A connection alone does not hide a recent presence report (clients report at most once a
    // minute): while someone types in the window, the last activity stays "present".
    const presentWindow = Math.max(2 * 60_000, 2 * this.deps.config.idle.interval * 1000);
    const recentlyPresent =
      record.lastActivity?.signal === 'present' && now - Date.parse(record.lastActivity.at) < presentWindow;
    if (observed.typing) record.lastActivity = { at, signal: 'present', source: observed.typing };
    else if (signal && !(signal === 'attached' && recentlyPresent)) record.lastActivity = { at, signal };
    const decision = this.apply(record, now, observed);
    this.seen.set(record.id, { at: now, ...observed, decision });
    if (decision.action === 'stop' && decision.stopReason) {
      this.deps.log.info(`idle: stopping ${record.owner}/${record.name}: ${decision.reason}`);
      // The stop saves the store itself; a conflict means an operation began meanwhile.
      const stopping: Promise<void> = this.deps.service
        .stopRecord(record, { requestId: null }, decision.stopReason)
        .then(
          () => undefined,
          (err) => this.deps.log.warn(`idle: could not stop ${record.owner}/${record.name}: ${errorMessage(err)}`),
        )
        .finally(() => this.stopping.delete(stopping));
      this.stopping.add(stopping);
      return false;
    }
    return decision.action === 'warn';
  }

  /**
   * Logs once when a workspace's CPU use stays unknown past its first sample (no readable cgroup CPU
   * accounting): the policy never stops what it cannot tell is idle, so say why nothing happens.
   */
  private reportUnmeasured(record: WorkspaceRecord, pid: number, observed: Observed): void {
    const before = this.seen.get(record.id);
    if (observed.cpuCores !== null || !before || before.cpuCores !== null || this.unmeasured.has(record.id)) return;
    this.unmeasured.add(record.id);
    this.deps.log.warn(
      `idle: cannot measure the CPU use of ${record.owner}/${record.name}: no readable cgroup CPU accounting for its process ${pid} (see /proc/${pid}/cgroup and /sys/fs/cgroup); it is not stopped for idleness while its use is unknown`,
    );
  }

  /**
   * The idle status of `records` for `berth idle`: the last tick's observations, or with `dryRun` a
   * fresh sample (two, a second apart) and the policy evaluated now, acting on nothing.
   */
  status(records: WorkspaceRecord[], dryRun: boolean): Promise<IdleStatus[]> {
    return idleStatus(records, dryRun, {
      idle: this.deps.config.idle,
      seen: (id) => this.seen.get(id),
      pid: (record) => this.pid(record),
      probeGpus: (running, pids) => this.probeGpus(running, pids),
    });
  }

  /**
   * Whether the record's activity should reach the store now: its signal changed since the last
   * write, or it moved and the last write is two minutes old. Marks it written.
   */
  private due(record: WorkspaceRecord, now: number): boolean {
    const activity = record.lastActivity;
    if (!activity || record.state !== 'running') return false;
    const last = this.persisted.get(record.id);
    const due =
      !last ||
      last.signal !== activity.signal ||
      (last.activityAt !== activity.at && now - last.at >= PERSIST_EVERY_MS);
    if (due) this.persisted.set(record.id, { at: now, signal: activity.signal, activityAt: activity.at });
    return due;
  }

  /** Re-decides with what is known now and tells the clients (see `mark` and `announce`). */
  private apply(record: WorkspaceRecord, now: number, observed?: Observed): Decision {
    const marked = this.mark(record, now, observed);
    this.announce(record, marked);
    return marked.decision;
  }

  /** Re-decides with what is known now, and keeps in `record` the warning state and a changed deadline. */
  private mark(record: WorkspaceRecord, now: number, observed?: Observed, exact = false): Marked {
    const decision = decideFor(record, now, this.deps.config.idle, observed ?? this.seen.get(record.id));
    const clocks = runClocks(record);
    if (record.keepUntil && Date.parse(record.keepUntil) <= now) delete record.keepUntil;
    if (decision.warning) {
      clocks.warning = {
        at: new Date(decision.warning.at).toISOString(),
        stopAt: new Date(decision.warning.stopAt).toISOString(),
      };
    } else delete clocks.warning;
    const moved = exact
      ? (record.idleStopAt ?? null) !== (decision.stopAt === null ? null : new Date(decision.stopAt).toISOString())
      : deadlineMoved(record, decision.stopAt, this.deps.config.idle);
    if (moved) {
      if (decision.stopAt === null) delete record.idleStopAt;
      else record.idleStopAt = new Date(decision.stopAt).toISOString();
    }
    return { decision, moved };
  }

  /** Announces a warning when the policy says so, and a published deadline that changed. */
  /** Warns where the decision says so, and tells clients of a moved deadline (or any change: `changed`), once. */
  private announce(record: WorkspaceRecord, { decision, moved }: Marked, changed = false): void {
    if (decision.action === 'warn' && decision.stopAt !== null) {
      const stopAt = new Date(decision.stopAt).toISOString();
      this.deps.log.info(`idle: warning ${record.owner}/${record.name}: stop at ${stopAt}: ${decision.reason}`);
      const data = { id: record.id, name: record.name, owner: record.owner, stopAt, reason: decision.reason };
      this.deps.bus.emit({ event: 'workspace.idleWarning', data }, record.owner);
    }
    if (changed || moved || decision.action === 'warn') this.changed(record);
  }

  /** Records work (present, busy, keepalive) at `now`. */
  private work(record: WorkspaceRecord, now: number, signal: ActivitySignal): void {
    const at = new Date(now).toISOString();
    const clocks = runClocks(record);
    clocks.lastWorkAt = at;
    if (signal === 'present') clocks.lastPresentAt = at;
    record.lastActivity = { at, signal };
  }

  private async pid(record: WorkspaceRecord): Promise<number> {
    const cached = this.pids.get(record.id);
    if (cached?.since === record.since) return cached.pid;
    const status = await this.deps.runtime.inspect(record.id);
    const pid = status?.running ? status.pid : 0;
    if (pid) this.pids.set(record.id, { since: record.since, pid });
    return pid;
  }

  private async probeGpus(records: WorkspaceRecord[], pids: Map<string, number>): Promise<Map<string, boolean>> {
    const holders = records.flatMap((record) => {
      const pid = pids.get(record.id);
      return pid && record.assignedGpus?.length ? [{ record, pid }] : [];
    });
    if (!this.deps.gpuProbe || !holders.length) return new Map();
    try {
      return await this.deps.gpuProbe(holders);
    } catch (err) {
      this.deps.log.warn(`idle: could not read GPU use: ${errorMessage(err)}`);
      return new Map();
    }
  }

  private forget(id: string): void {
    this.pids.delete(id);
    this.seen.delete(id);
    this.persisted.delete(id);
    this.unmeasured.delete(id);
    this.signals.forget(id);
  }

  private changed(record: WorkspaceRecord): void {
    this.deps.bus.emit(
      { event: 'workspace.changed', data: { workspace: this.deps.service.view(record) } },
      record.owner,
    );
  }
}
