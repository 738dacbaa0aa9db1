import type { IdleStatus } from '../../protocol';
import type { IdleConfig } from '../idle/settings';
import { HostSignals } from '../idle/signals';
import type { WorkspaceRecord } from '../state/record';
import { decideFor, observe, type IdleObservation } from './idle-observe';

/** The CPU window of a dry run's fresh sample. */
const DRY_RUN_WINDOW_MS = 1000;

/** What the idle status is made from: the monitor's last observations and its readers. */
export interface StatusSources {
  idle: IdleConfig;
  /** What the last tick saw of a running workspace. */
  seen(id: string): IdleObservation | undefined;
  /** The host pid of a running workspace's container (0 when it has none). */
  pid(record: WorkspaceRecord): Promise<number>;
  /** Whether each workspace that holds GPUs uses them. */
  probeGpus(records: WorkspaceRecord[], pids: Map<string, number>): Promise<Map<string, boolean>>;
}

/**
 * The idle status of `records` for `berth idle`: the last tick's observations, or with `dryRun` a
 * fresh sample (two, a second apart) and the policy evaluated now, acting on nothing.
 */
export async function idleStatus(
  records: WorkspaceRecord[],
  dryRun: boolean,
  sources: StatusSources,
): Promise<IdleStatus[]> {
  const running = records.filter((record) => record.state === 'running');
  const fresh = dryRun && running.length ? await sampleNow(running, sources) : new Map<string, IdleObservation>();
  return records.map((record) => {
    const seen = record.state === 'running' ? (fresh.get(record.id) ?? sources.seen(record.id)) : undefined;
    const status: IdleStatus = {
      name: record.name,
      owner: record.owner,
      state: record.state,
      signals: seen
        ? {
            sampledAt: new Date(seen.at).toISOString(),
            attached: seen.attached,
            typing: seen.typing,
            cpu: seen.cpuCores,
            gpuBusy: seen.gpuBusy,
            busy: seen.busy,
          }
        : null,
      decision: seen
        ? {
            action: seen.decision.action,
            stopAt: seen.decision.stopAt === null ? null : new Date(seen.decision.stopAt).toISOString(),
            stopReason: seen.decision.stopReason,
            reason: seen.decision.reason,
          }
        : null,
    };
    if (record.lastActivity) status.lastActivity = record.lastActivity;
    if (record.idle?.lastPresentAt) status.presentAt = record.idle.lastPresentAt;
    if (record.keepUntil) status.keepUntil = record.keepUntil;
    if (record.stopReason) status.stopReason = record.stopReason;
    return status;
  });
}

/** A dry run's observations of the `running` workspaces: two samples a second apart, the policy evaluated now. */
async function sampleNow(running: WorkspaceRecord[], sources: StatusSources): Promise<Map<string, IdleObservation>> {
  const fresh = new Map<string, IdleObservation>();
  const signals = new HostSignals();
  const pids = new Map<string, number>();
  for (const record of running) pids.set(record.id, await sources.pid(record).catch(() => 0));
  const sampleAll = (at: number) =>
    Promise.all(
      running.map(async (record) => {
        const pid = pids.get(record.id) ?? 0;
        return [record.id, pid ? await signals.sample(record.id, pid, at).catch(() => null) : null] as const;
      }),
    );
  await sampleAll(Date.now());
  await new Promise((resolve) => setTimeout(resolve, DRY_RUN_WINDOW_MS));
  const at = Date.now();
  const [samples, gpu] = await Promise.all([sampleAll(at), sources.probeGpus(running, pids)]);
  for (const [id, sample] of samples) {
    const record = running.find((r) => r.id === id);
    if (!sample || !record) continue;
    // The kernel moves a terminal's access time at most every 8 s: a one-second window rarely sees
    // typing, so the last tick's answer stands unless this one saw some.
    const typing = sample.typing ?? sources.seen(id)?.typing ?? null;
    const observed = observe({ ...sample, typing }, gpu.get(id) ?? null, sources.idle.cpuThreshold);
    fresh.set(id, { at, ...observed, decision: decideFor(record, at, sources.idle, observed) });
  }
  return fresh;
}
